/**
 * Playbooks: alert rules, lifecycle playbooks and drift rules — "action, not dashboards". This folder is the
 * pure core: the rules file and its validation, condition verdicts, once-per-episode state, the alerts and
 * tasks a firing calls for, escalation and drift rules. Nothing here does I/O; the edges below are thin.
 *
 * How the edges will use it
 *
 * Episode state lives in Redis, one string per account (`<prefix>:playbooks:acct:<accountId>`): when Pulse first
 * evaluated it, the `AccountState` the last evaluation saw (edge conditions compare against it) and the
 * `Episode` of each rule id. Not ClickHouse: a ReplacingMergeTree collapses rows only at some
 * later merge and has no read-modify-write, so two workers that both read "armed" would both insert
 * "active" and both fire. Redis is already there for BullMQ (append-only persistence, `noeviction`), and one
 * Lua script can compare the record with the one read (by SHA-1), write the new one, and append the
 * planned actions to a stream `<prefix>:playbooks:actions`, all at once: firing and "something to do" are
 * never split by a crash, and a worker that loses the race re-reads and re-evaluates (pure, so a retry costs
 * a recompute, never a second alert). One record per account puts all of an account's rules in one value; a
 * scoring pass of 2,000 accounts is one MGET, and only the accounts whose state or episodes changed are
 * written. Drift rules keep `DriftRuleState` per rule id in the hash `<prefix>:playbooks:drift` (a counter `v`
 * for the compare-and-set).
 *
 * Where it is called
 * - Scoring path: after `scoreAccounts` stores a pass, each scored account's `AccountState` is built from
 *   the score record and what the pass already read (days to renewal, seats, signup, milestones, last use of
 *   the key features, last payment_failed, last P1 ticket) plus the latest churn prediction, and `runRule` is
 *   called for every rule with the stored previous state and episodes; the churn worker does the same after
 *   predicting, for churn thresholds. Seconds from event to alert: event passes are merged and evaluated at
 *   most every `PULSE_PLAYBOOKS_EVERY` (`coalesced-passes.ts`), each account with its latest score.
 * - Sweep: the hourly scoring sweep re-scores every account through the same path, so time-based conditions
 *   (renewal window, milestone not reached, key feature unused), delayed and recurring playbook steps, and
 *   re-arming after a quiet time are evaluated at least once per sweep with `now` advanced. Open tasks whose
 *   next escalation time has passed are escalated by the sweep with `escalationsDue`.
 * - Drift: the drift processor, after storing a batch in `schema_drift`, calls `evaluateDriftRule` for each
 *   drift rule; the sweep calls it without records so a subsided flood re-arms.
 * - Dispatch: a BullMQ worker reads the actions stream: tasks and alerts go to ClickHouse by their `key`
 *   (a ReplacingMergeTree is right there: the key dedupes retries, no lock needed), alerts are published as
 *   `alertFired` on the score pub/sub, and each webhook or Slack delivery is a job whose id is the alert key
 *   plus the endpoint name (BullMQ refuses a duplicate id), retried with backoff and signed Stripe-style
 *   (`Pulse-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`).
 * - Rollout: a new rule (or Pulse's first start with rules) would otherwise fire at once for every account
 *   that already matches. The edge records when each rule id was first deployed. An account without an
 *   episode for a rule is evaluated normally when its first evaluation came after the rule's deployment
 *   (a new account: the onboarding playbook must fire), and primed when it came before — its episode
 *   stored, its actions dropped. Drift rules are primed by seeding `seen` from `schema_drift`. A changed
 *   rules file keeps episodes by rule id; `LoadedRules.version` says when to re-prime if that is wanted.
 * - Config: `PULSE_RULES_CONFIG` (file or preset; else `./pulse.rules.yaml`, else preset `default`) is read
 *   in `platform/config.ts` beside the scorecard with `loadRules({ scorecard, subjects })`, its RulesError
 *   problems joining the ConfigError; the endpoints' environment variables are checked there too.
 */
export { loadRules, readRulesYaml, resolveRules, rulesFile, rulesPresetNames, rulesVersion, type LoadedRules } from './rules-file.js'
export { validateRules, type RulesContext } from './rules-validation.js'
export { RulesError, type RulesProblem } from './rules-problems.js'
export type { AccountRule, Action, AlertAction, Condition, DriftCondition, DriftRule, Endpoint, Rules, Severity, TaskAction } from './rules.js'
export { EVENT_FIELDS, type AccountEvent, type AccountState } from './account-state.js'
export { conditionVerdict, type Verdict } from './condition-verdict.js'
export { episodeOngoing, NEVER_FIRED, stepEpisode, type Episode } from './episode.js'
export { evaluateRule, runRule, type RuleEvaluation, type RuleRun } from './evaluate-rule.js'
export { dueOccurrence, planActions, resolveAssignee, type Owners } from './plan-actions.js'
export { assigneeAt, escalationsDue, isOverdue, type TaskProgress } from './escalation.js'
export { EpisodeStore, type AccountEvaluation, type AccountOutcome } from './episode-store.js'
export { createPlaybookRunner, type PlaybookRunner, type ScoredPass, type SweepReport } from './playbook-runner.js'
export { coalescePasses, type CoalescedPasses, type CoalescedPassesOptions } from './coalesced-passes.js'
export { deliveryEndpoints } from './delivery-endpoints.js'
export { readPlaybookFacts, type PlaybookFacts } from './account-facts.js'
export { accountStateOf, type AccountStateInputs } from './account-state-of.js'
export { ActionDispatcher, DISPATCH_GROUP } from './dispatch.js'
export { slackMessage, type AlertContext } from './slack-message.js'
export { createWebhookQueue, createWebhookWorker, DELIVERY_RETRIES, deliveryId, enqueueDeliveries, WEBHOOK_QUEUE, webhookBody, type DeliveryEndpoint, type DeliveryJob, type DeliveryRetries, type DeliveryType, type WebhookBody } from './webhook-delivery.js'
export { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER, signatureHeader, verifySignature, type SignatureCheck } from './webhook-signature.js'
export { EMPTY_DRIFT_STATE, evaluateDriftRule, type DriftInput, type DriftRuleState } from './drift-rules.js'
export type { AlertTarget, PlannedAction, PlannedAlert, PlannedEscalation, PlannedTask, TaskStatus } from './planned-actions.js'
export { applyTaskChange, escalateTask, MAX_SNOOZE_MS, openedTask, taskOverdue, type TaskChange, type TaskChangeResult, type TaskRecord } from './task-changes.js'
export { changeTask, escalateDueTasks, readTask, readTasks, storeTasks, TaskChangeRefused, TaskNotFoundError, type TaskCursor, type TaskFilter } from './task-store.js'
export { readAlerts, type AlertCursor, type AlertFilter, type StoredAlert } from './alert-store.js'
export { DELIVERY_STATUSES, getDelivery, listDeliveries, replayDelivery, ReplayRefused, sendTestDelivery, testDeliveryBody, type DeliveryFilter, type DeliveryRecord, type DeliveryStatus, type Replayed } from './webhook-admin.js'
