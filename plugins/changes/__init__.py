"""Where each change stands: the change card, the "now" banner and "Kommande ändringar"."""
