"""The pair decision: do two texts raise the same issue? A calibrated probability from a small learned head over
features the embedding alone misses, with the reasons for and against."""
