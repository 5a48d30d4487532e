"""Text utilities with no model behind them: normalisation, personal data, news pages."""
