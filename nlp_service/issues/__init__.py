"""What many people raise: topical clusters, duplicate groups, adoption rates."""
