"""What a trained network learned: attributions and motifs."""
