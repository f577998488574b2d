"""What circulation tells the apps above it, which it may not import.

`loan_renewing(sender=Loan, loan=...)`: a loan is about to be renewed, inside the renewal's
transaction with the loan locked; a receiver that raises (a ConflictError with its code)
refuses the renewal, e.g. orders when another reader is waiting for the title.
"""
from django.dispatch import Signal

loan_renewing = Signal()
