"""Rating: billing increments, rates and currency conversion, in exact decimals."""
