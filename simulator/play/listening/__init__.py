"""Spoken answers: audio in, voice activity, and recognition constrained to the options on screen.

`source` reads audio (a microphone through sounddevice/PortAudio, or a WAV file for tests
and benchmarks) as 30 ms frames of 16 kHz mono; `activity` finds where speech starts and
ends; `grammar` turns the options on screen into a JSGF grammar and a decoded word string
back into an option; `recogniser` runs pocketsphinx with that grammar; `listener` runs the
whole chain in a worker process, so decoding never holds up a frame of the window.
Nothing here stores audio.
"""
