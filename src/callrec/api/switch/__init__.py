"""The switch-facing read API: routing facts for an incoming call, and greetings to play."""
