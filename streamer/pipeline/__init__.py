"""Processing: batches to outcomes, the workers, the scoring processes and the model host."""
