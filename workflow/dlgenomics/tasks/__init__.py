"""What a task is: task kinds (raw files -> standard tables) and objectives (what is predicted)."""
