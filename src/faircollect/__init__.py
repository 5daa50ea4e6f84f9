"""FairCollect: compliance-first debt collection."""
