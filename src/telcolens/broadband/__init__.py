"""Broadband experience: perception per home line, poor lines, diagnosis, repair, proof."""
