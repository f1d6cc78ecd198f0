"""The keyword demo: eight spoken words, trained on espeak-ng's voices."""
