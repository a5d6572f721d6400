"""Protection: who may see which regions (access), what each audience may see (disclosure control) and safe export files."""
