"""How a year's plan gets into kipplan: imported from its spreadsheet (``imports``, with its form
and the plans' admin and import page), or carried over from last year's plan with its unfinished
tasks and open improvement opinions (``carry_over``). Both write across the parts of the cycle,
so they stand above them all."""
