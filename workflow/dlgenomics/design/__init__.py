"""Designing new sequences with a GAN, and judging them."""
