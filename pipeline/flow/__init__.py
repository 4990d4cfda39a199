"""The message-driven flow: verify worker handler and review-intake handler."""
