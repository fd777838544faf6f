import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription, registerEnumType } from 'type-graphql'
import { changeTask, readTask, readTasks, TaskChangeRefused, TaskNotFoundError, taskOverdue, type TaskChange, type TaskRecord } from '../processors/playbooks/index.js'
import type { TaskCreated } from '../processors/scoring/index.js'
import { PageInfo } from './accounts.js'
import type { GraphQLContext } from './context.js'
import { afterCursor, encodeTimeKeyCursor, forwardPageInfo } from './time-key-cursor.js'

export enum TaskStatus {
  OPEN = 'open',
  DONE = 'done',
  CANCELED = 'canceled',
}
registerEnumType(TaskStatus, { name: 'TaskStatus', description: 'A task is OPEN until someone completes it (DONE) or it is CANCELED.' })

@ObjectType({ description: 'A time at which an open task passes to a next owner.' })
export class TaskEscalation {
  @Field(() => Date)
  at!: Date

  @Field(() => String, { description: 'The owner name in the rules file (e.g. csDirector).' })
  owner!: string

  @Field(() => String, { nullable: true, description: "The owner's id; null when the rules file names none for it." })
  to!: string | null

  @Field(() => Boolean, { description: 'Already applied: the task passed to this owner.' })
  applied!: boolean
}

@ObjectType({ description: 'A playbook step to do for an account: who, by when, and why it was opened.' })
export class Task {
  @Field(() => ID, { description: 'rule/account/episode/task/occurrence: stable, the same in webhooks and the subscription.' })
  id!: string

  @Field(() => String)
  ruleId!: string

  @Field(() => String, { description: "The step's id in the rule." })
  taskId!: string

  @Field(() => Int, { description: '0, then one more for each repeat of a recurring step.' })
  occurrence!: number

  @Field(() => ID)
  accountId!: string

  @Field(() => String)
  title!: string

  @Field(() => [String], { description: 'The facts that opened it.' })
  why!: string[]

  @Field(() => String, { nullable: true, description: 'Who has it now; null when nobody resolved (no CSM, no owner configured).' })
  assignee!: string | null

  @Field(() => String, { description: 'Why them: csm, an owner name from the rules file, or assigned (by assignTask).' })
  assigneeRole!: string

  @Field(() => TaskStatus)
  status!: TaskStatus

  @Field(() => Boolean, { description: 'Open and past its due date.' })
  overdue!: boolean

  @Field(() => Date)
  openedAt!: Date

  @Field(() => Date)
  dueAt!: Date

  @Field(() => Date, { nullable: true, description: 'Deferred until then by snoozeTask.' })
  snoozedUntil!: Date | null

  @Field(() => [TaskEscalation])
  escalations!: TaskEscalation[]

  @Field(() => Date, { nullable: true })
  completedAt!: Date | null

  @Field(() => String, { nullable: true, description: 'The API key that completed it.' })
  completedBy!: string | null

  @Field(() => Date, { description: 'When it last changed.' })
  updatedAt!: Date
}

@ObjectType()
export class TaskEdge {
  @Field(() => String)
  cursor!: string

  @Field(() => Task)
  node!: Task
}

@ObjectType({ description: 'A page of tasks, soonest due first (Relay cursor connection).' })
export class TaskConnection {
  @Field(() => [TaskEdge])
  edges!: TaskEdge[]

  @Field(() => PageInfo)
  pageInfo!: PageInfo

  @Field(() => Int, { description: 'Tasks matching the filter, on every page.' })
  totalCount!: number
}

@InputType({ description: 'Every condition given must hold; a list matches any of its values.' })
export class TaskFilter {
  @Field(() => [TaskStatus], { nullable: true })
  statuses?: TaskStatus[] | null

  @Field(() => [String], { nullable: true, description: 'Who has the task now.' })
  assignees?: string[] | null

  @Field(() => [ID], { nullable: true })
  accountIds?: string[] | null

  @Field(() => [String], { nullable: true })
  ruleIds?: string[] | null

  @Field(() => Boolean, { nullable: true, description: 'Open and past due (true), or not (false).' })
  overdue?: boolean | null

  @Field(() => Boolean, { nullable: true, description: 'Open and snoozed (true), or not (false).' })
  snoozed?: boolean | null

  @Field(() => Date, { nullable: true })
  dueBefore?: Date | null
}

const MAX_PAGE = 100

export function toTask(t: TaskRecord | TaskCreated, now: number): Task {
  const r = t as Partial<TaskRecord> & TaskCreated
  const escalated = r.escalated ?? 0
  return {
    id: t.key, ruleId: t.ruleId, taskId: t.taskId, occurrence: t.occurrence, accountId: t.accountId, title: t.title, why: t.why,
    assignee: t.assignee, assigneeRole: t.assigneeRole, status: t.status as TaskStatus, overdue: taskOverdue(t, now),
    openedAt: new Date(t.openedAt), dueAt: new Date(t.dueAt), snoozedUntil: r.snoozedUntil ? new Date(r.snoozedUntil) : null,
    escalations: t.escalations.map((e, i) => ({ at: new Date(e.at), owner: e.owner, to: e.to, applied: i < escalated })),
    completedAt: r.completedAt ? new Date(r.completedAt) : null, completedBy: r.completedBy ?? null, updatedAt: new Date(r.updatedAt ?? t.openedAt),
  }
}

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } })
}

async function change(ctx: GraphQLContext, operation: string, id: string, what: TaskChange): Promise<Task> {
  const now = Date.now()
  try {
    return toTask(await changeTask(ctx.clickhouse, id, what, now), now)
  } catch (err) {
    if (err instanceof TaskNotFoundError) throw new GraphQLError(`${operation}: ${err.message}`, { extensions: { code: 'NOT_FOUND' } })
    if (err instanceof TaskChangeRefused) throw badInput(`${operation}: ${err.message}`)
    throw err
  }
}

@Resolver()
export class TaskResolver {
  @Query(() => TaskConnection, { description: 'Playbook tasks, filtered, soonest due first, a page at a time (first ≤ 100, after = the endCursor of the previous page).' })
  async tasks(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => TaskFilter, { nullable: true }) filter: TaskFilter | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<TaskConnection> {
    if (first < 1 || first > MAX_PAGE) throw badInput(`tasks: first must be 1-${MAX_PAGE}, got ${first}`)
    const cursor = afterCursor('tasks', after)
    const now = Date.now()
    const f = filter ?? {}
    const page = await readTasks(
      ctx.clickhouse,
      {
        statuses: f.statuses ?? undefined, assignees: f.assignees ?? undefined, accountIds: f.accountIds ?? undefined, ruleIds: f.ruleIds ?? undefined,
        overdue: f.overdue ?? undefined, snoozed: f.snoozed ?? undefined, dueBefore: f.dueBefore?.getTime(),
      },
      { first, after: cursor && { dueAt: cursor.time, key: cursor.key }, now },
    )
    const edges = page.tasks.map((t) => ({ cursor: encodeTimeKeyCursor('tasks', t.dueAt, t.key), node: toTask(t, now) }))
    return {
      edges,
      pageInfo: forwardPageInfo(edges, page.hasNextPage, cursor !== null),
      totalCount: page.totalCount,
    }
  }

  @Query(() => Task, { nullable: true, description: 'One task by id.' })
  async task(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Task | null> {
    const task = await readTask(ctx.clickhouse, id)
    return task && toTask(task, Date.now())
  }

  @Mutation(() => Task, { description: 'Marks an open task done, recording the API key that did it (scope write).' })
  completeTask(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Task> {
    return change(ctx, 'completeTask', id, { kind: 'complete', by: ctx.apiKey.name })
  }

  @Mutation(() => Task, { description: 'Defers an open task until a time (at most 366 days ahead): its due date and pending escalations move with it (scope write).' })
  snoozeTask(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('until', () => Date) until: Date): Promise<Task> {
    if (Number.isNaN(until.getTime())) throw badInput('snoozeTask: until must be a date-time')
    return change(ctx, 'snoozeTask', id, { kind: 'snooze', until: until.getTime() })
  }

  @Mutation(() => Task, { description: 'Gives an open task to someone; escalations already due no longer apply (scope write).' })
  assignTask(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('assignee', () => String) assignee: string): Promise<Task> {
    return change(ctx, 'assignTask', id, { kind: 'assign', to: assignee, by: ctx.apiKey.name })
  }

  @Subscription(() => Task, {
    description: 'Tasks as playbooks open them, and again when an overdue task escalates to its next owner; assignee and accountId narrow it.',
    topics: ({ context }) => (context as GraphQLContext).topics.task,
    filter: ({ payload, args }) => {
      const t = payload as TaskCreated
      return (!args.assignee || t.assignee === args.assignee) && (!args.accountId || t.accountId === args.accountId)
    },
  })
  taskCreated(
    @Root() task: TaskCreated,
    @Arg('assignee', () => String, { nullable: true }) _assignee?: string,
    @Arg('accountId', () => ID, { nullable: true }) _accountId?: string,
  ): Task {
    return toTask(task, Date.now())
  }
}
