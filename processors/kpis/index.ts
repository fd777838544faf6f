export { DEFAULT_TARGETS, kpis, median, taskFollowThrough, nps, csat, retention, revenueMovement, targetStatus, type KpiInputs, type Kpis, type KpiTargets, type TargetStatus } from './formulas.js'
export { readKpiInputs, type AccountKpiInputs } from './kpi-inputs.js'
export { groupKpis, type AccountAttributes, type KpiGroup, type KpiGrouping } from './kpis.js'
export { bucketEnds, readCohorts, readRevenueAtRisk, readTierDistribution, type Cohort, type RevenueAtRisk, type TierCount, type TrendResolution } from './portfolio.js'
