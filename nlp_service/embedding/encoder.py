"""placeholder"""
Encoder = None
