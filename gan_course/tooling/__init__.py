"""Tooling around the course, apart from the GAN code a learner reads: the Jupyter server
extension that keeps the course's notebooks unchanged when they are opened (`jupyter`)."""
