-- Taking a role away from someone (`podium item unassign`) is history too (kind 'unassign').
--
-- Approvals and comments are history: an approval that does not yet move the item (1 of 2) and a
-- comment are events of the item's timeline like an assignment, recorded in the same transaction
-- as the approval or comment itself. The approvals table keeps counting approvals per visit and
-- the comments table serves `item show`; history says who did what, when, in one place.
--
-- A fire with an idempotency key stores a fingerprint of its request (transition, actor, data,
-- comment: SHA-256 of a canonical spelling) beside the key. The same key with the same request
-- replays the first result; with another request it is refused ("key k-1 was used for a
-- different request"), as the IETF Idempotency-Key draft asks. Rows written before this
-- migration have no fingerprint and replay as before.
alter table history drop constraint history_kind_check;
alter table history add constraint history_kind_check
    check (kind in ('create', 'transition', 'override', 'assign', 'cancel', 'migrate', 'task', 'approval', 'comment', 'unassign'));
alter table history add column request_fingerprint text;
