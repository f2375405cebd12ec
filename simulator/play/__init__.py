"""The front ends: pygame window, terminal play, speech."""
