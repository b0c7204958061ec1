"""The rollout subsystem: canary stepping, its routers and its step rules."""
