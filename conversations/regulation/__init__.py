"""The EU AI Act and the frameworks in chat: intake questions, classification, evidence."""
