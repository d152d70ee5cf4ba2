"""One router per resource: health, inference, feedback, management, metrics."""
