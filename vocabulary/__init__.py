"""The shared vocabulary at the bottom of the house: the policy model and its rules, neutral messages,
what comes in from a platform, labels, working hours, people's addresses and the portfolio columns.
Every layer may import it; it imports no other package of ours."""
