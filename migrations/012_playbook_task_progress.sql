-- What happens to a task after it opens: escalations applied (so each is applied once), a snooze (the task is
-- deferred until then; its due date and escalations move with it), and who completed it when. Each change is
-- a new row with a later updated_at that wins the merge.
ALTER TABLE playbook_tasks ADD COLUMN IF NOT EXISTS escalated UInt8 DEFAULT 0;
ALTER TABLE playbook_tasks ADD COLUMN IF NOT EXISTS snoozed_until Nullable(DateTime64(3, 'UTC'));
ALTER TABLE playbook_tasks ADD COLUMN IF NOT EXISTS completed_at Nullable(DateTime64(3, 'UTC'));
ALTER TABLE playbook_tasks ADD COLUMN IF NOT EXISTS completed_by Nullable(String);
