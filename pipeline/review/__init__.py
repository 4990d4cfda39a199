"""The central review queue: items from flagged verdicts, claimed, decided and audited.

:mod:`models` (records), :mod:`queue` (reading in priority order), :mod:`transitions` (claim,
renew, release, expire, decide, each audited), :mod:`service` (:class:`ReviewDesk`, the
transactions and what a decision triggers), :mod:`evidence` (what the item page shows),
:mod:`stations` (the supervisors' report), :mod:`enroll` (approved rubbings become references).
"""
