"""Reports: figures derived from recorded events, never typed in twice (DOMAIN.md I11, X).

:mod:`civicgrid.report.indicators` folds events into the outcome figures a community reports
(intake by channel, 办结率, on-time rate per deadline, time to each step, level of closure,
satisfaction, reopen rate, the overdue list), per unit, per method and per period;
:mod:`civicgrid.report.comparison` sets methods side by side in one table. This layer sits on
top: it may import the domain, the workflows and the plugins; nothing below imports it.
"""
