"""The routing decision: topic and department classifiers, department evidence, training, review."""
