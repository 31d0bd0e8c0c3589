/**
 * The evaluation set of `npm run bench -- search-quality`: an agent's workspace of runbooks,
 * postmortems, decision records, preferences, policies and notes, and queries of four kinds with
 * graded judgments (2 = answers the query, 1 = related and useful). Written once, before any
 * measurement; the ranking is never tuned per query.
 */
export interface EvalDocument {
  path: string;
  content: string;
}

export type QueryKind = 'paraphrase' | 'keyword' | 'question' | 'unanswerable';

export interface EvalQuery {
  kind: QueryKind;
  query: string;
  /** path -> grade; empty for unanswerable queries. */
  relevant: Record<string, 1 | 2>;
}

export const DOCUMENTS: EvalDocument[] = [
  {
    path: '/runbooks/rollback-release.md',
    content: `# Rolling back a release

When a deployment breaks production, revert to the previous version instead of hot-fixing forward.
1. Open the deploy pipeline and find the last green release tag.
2. Run \`deployctl rollback --to <tag>\`; it redeploys the previous container image to every region.
3. Watch the error rate dashboard for ten minutes. If errors persist, page the on-call lead.
4. Post in #releases that the release was reverted and open a ticket for the root cause.
Database migrations are not reverted automatically; see the migration runbook before undoing a schema change.`,
  },
  {
    path: '/runbooks/database-restore.md',
    content: `# Restoring the database from a backup

Postgres takes a snapshot every night and keeps write-ahead logs for point-in-time recovery for 14 days.
To recover rows that were deleted by mistake, restore to a new instance at a timestamp just before the deletion:
\`dbctl restore --instance orders-prod --time "2024-05-02T10:14:00Z" --target orders-recovery\`.
Then copy the missing rows from the recovery instance into production with a reviewed SQL script.
Never restore over the production instance itself. Delete the recovery instance when you are done.`,
  },
  {
    path: '/runbooks/database-migrations.md',
    content: `# Running schema migrations

Migrations live in db/migrations and run with \`dbctl migrate\` during the deploy.
Write every migration so it can run while the old code is still serving: add columns as nullable, backfill in batches, then add constraints.
To undo a migration, write a new forward migration; do not edit or delete one that has already run in production.
Long-running migrations take locks: run them outside business hours and set lock_timeout to 5 seconds.`,
  },
  {
    path: '/runbooks/rotate-secrets.md',
    content: `# Rotating credentials and API keys

Secrets are stored in the vault under kv/prod. Rotate them every 90 days or at once after a suspected leak.
1. Create the new credential with the provider (database user, third-party API key, signing key).
2. Write it to the vault; services reload secrets within five minutes.
3. Verify the services use the new value, then revoke the old credential.
Never paste secrets into chat or tickets. If a key was committed to git, treat it as leaked and rotate it immediately.`,
  },
  {
    path: '/runbooks/tls-certificates.md',
    content: `# TLS certificate renewal

Public certificates are issued by Let's Encrypt and renewed automatically 30 days before they expire.
The renewal job runs nightly on the ingress controller. An alert fires when any certificate has less than 14 days left.
If automatic renewal fails, run \`certctl renew --domain <name>\` and check the DNS challenge records.
Internal services use certificates from the private CA with a one-year lifetime; renew them through the platform portal.`,
  },
  {
    path: '/runbooks/on-call.md',
    content: `# On-call handbook

The on-call engineer carries the pager for one week, Monday 10:00 to Monday 10:00.
Acknowledge a page within 5 minutes and start an incident channel for anything customer-facing.
Escalate to the secondary after 15 minutes without progress. Hand over open incidents in writing at the end of the shift.
On-call engineers get one day off in lieu after a week with night pages.`,
  },
  {
    path: '/runbooks/incident-response.md',
    content: `# Incident response

Declare an incident when customers are affected or data may be lost. The first responder becomes incident commander until handing over.
The commander assigns a communications lead who updates the status page every 30 minutes.
Keep a timeline in the incident channel. After the incident, write a postmortem within five working days; postmortems are blameless.`,
  },
  {
    path: '/runbooks/scaling-workers.md',
    content: `# Scaling the background workers

Workers consume jobs from the queue. When the queue backlog grows above 10,000 messages for more than ten minutes, add workers:
\`kubectl scale deployment/worker --replicas=12\`. The autoscaler normally does this based on queue depth.
If the backlog keeps growing, check for a poison message that fails repeatedly and move it to the dead-letter queue.`,
  },
  {
    path: '/runbooks/cache-flush.md',
    content: `# Clearing the CDN and application caches

After publishing pricing or legal pages, purge the CDN: \`cdnctl purge --path "/pricing/*"\`.
The application cache in Redis expires entries after one hour; to clear it earlier, run \`cachectl flush --namespace web\`.
Do not flush the session namespace: it logs every user out.`,
  },
  {
    path: '/runbooks/dns-changes.md',
    content: `# Changing DNS records

DNS for our domains is managed as code in the infra repository (dns/zones). Open a pull request with the record change; the pipeline applies it after review.
Lower the TTL to 300 seconds a day before moving a record to a new address. Never edit records by hand in the registrar console.`,
  },
  {
    path: '/runbooks/log-search.md',
    content: `# Finding logs

All services ship structured JSON logs to the central log store, kept for 30 days.
Search by request id first: every response carries it in the x-request-id header.
Use \`logq 'service:checkout level:error' --since 1h\` for recent errors. Logs older than 30 days are archived to cold storage and can be restored on request.`,
  },
  {
    path: '/runbooks/dev-environment.md',
    content: `# Setting up a development environment

Install Node.js 20, Docker and the team CLI. Clone the monorepo and run \`make bootstrap\`; it installs dependencies and starts Postgres and Redis in containers.
Copy .env.example to .env and ask a teammate for the sandbox API keys. Run \`make test\` to check everything works.
The first build takes about ten minutes.`,
  },
  {
    path: '/runbooks/release-process.md',
    content: `# Release process

We release from main every weekday at 11:00. The release manager tags the commit, and the pipeline builds images, runs the end-to-end suite and deploys to staging, then to production region by region.
Releases are frozen on Fridays after 15:00 and during the last week of December. Hotfixes need approval from the release manager.`,
  },
  {
    path: '/runbooks/feature-flags.md',
    content: `# Working with feature flags

New features ship dark behind a flag in the flag service. Turn a flag on for internal users first, then for 5%, 25% and 100% of customers.
To switch off a misbehaving feature without a deploy, set its flag to off; the change reaches all servers within 30 seconds.
Remove a flag and its dead code within two sprints after full rollout.`,
  },
  {
    path: '/postmortems/2024-03-expired-certificate.md',
    content: `# Postmortem: API outage after a certificate expired (March 2024)

For 47 minutes the public API answered TLS errors. The certificate of api.example.com had expired because the renewal job had been failing silently for three weeks after a DNS provider change broke the ACME challenge.
Action items: alert on certificate age, not only on job failure; add the renewal job to the on-call dashboard; document manual renewal.`,
  },
  {
    path: '/postmortems/2024-05-deleted-orders.md',
    content: `# Postmortem: orders deleted by a cleanup script (May 2024)

A maintenance script meant for the staging database ran against production and deleted 3,200 order rows.
We restored them from the point-in-time backup into a separate instance and copied them back within four hours. No payments were lost.
Action items: production credentials are no longer available on developer laptops; scripts must print the target database and ask for confirmation.`,
  },
  {
    path: '/postmortems/2024-07-memory-leak.md',
    content: `# Postmortem: checkout slowdowns from a memory leak (July 2024)

Checkout latency rose every afternoon until pods were restarted. A new image-resizing library kept buffers alive, and the process grew by 200 MB per hour.
We pinned the previous library version and added a memory alert at 80% of the container limit. Heap snapshots are now collected automatically on restart.`,
  },
  {
    path: '/postmortems/2024-09-queue-backlog.md',
    content: `# Postmortem: emails delayed by six hours (September 2024)

A malformed message made the email worker crash and retry forever. The queue backlog reached 400,000 messages and password-reset emails arrived hours late.
Fix: retries are capped at five and failing messages go to a dead-letter queue. We alert on backlog age rather than size.`,
  },
  {
    path: '/postmortems/2024-11-rate-limit.md',
    content: `# Postmortem: partner integration blocked by rate limiting (November 2024)

A partner's nightly sync hit our API limit of 100 requests per second and received 429 responses for two hours; their import failed.
We raised their limit to 300 requests per second and now send the Retry-After header so clients back off correctly.`,
  },
  {
    path: '/postmortems/2025-01-dns-outage.md',
    content: `# Postmortem: website unreachable after a DNS change (January 2025)

A record for www pointed to a decommissioned load balancer for 25 minutes because the change was made by hand in the registrar console and skipped review.
DNS is now managed only as code, and the pipeline checks that every target answers before applying.`,
  },
  {
    path: '/decisions/adr-001-postgres.md',
    content: `# ADR 001: Postgres as the primary database

Context: we need transactions across orders, payments and inventory, and the team knows SQL well.
Decision: use managed Postgres for all transactional data. Document stores may be used for caches and search indexes only.
Consequences: schema migrations need care; read replicas handle reporting queries.`,
  },
  {
    path: '/decisions/adr-002-message-queue.md',
    content: `# ADR 002: SQS instead of Kafka for background jobs

Context: background jobs (emails, exports, webhooks) need at-least-once delivery and retries, not event replay.
Decision: use Amazon SQS with a dead-letter queue per job type. Kafka was rejected because running it costs more than the team can operate for this use.
Consequences: no ordering guarantees across messages; consumers must be idempotent.`,
  },
  {
    path: '/decisions/adr-003-monorepo.md',
    content: `# ADR 003: one monorepo for services and libraries

Decision: keep all services, shared libraries and infrastructure code in one repository with a single CI pipeline that builds only what changed.
Why: atomic changes across services and one dependency version per library. Cost: CI needs caching and ownership files per folder.`,
  },
  {
    path: '/decisions/adr-004-api-versioning.md',
    content: `# ADR 004: API versioning in the URL

Decision: public endpoints carry the major version in the path (/v1/, /v2/). Additive changes do not bump the version.
A version is supported for at least 12 months after its successor ships; deprecation is announced with a Sunset header and an email to integrators.`,
  },
  {
    path: '/decisions/adr-005-single-sign-on.md',
    content: `# ADR 005: employee login through single sign-on

Decision: every internal tool authenticates employees through the company identity provider with OpenID Connect. Local passwords are disabled.
Multi-factor authentication is enforced by the identity provider. Offboarding removes access to every tool at once.`,
  },
  {
    path: '/decisions/adr-006-frontend-framework.md',
    content: `# ADR 006: React with TypeScript for the web app

Decision: the customer web app is written in React with TypeScript and server-side rendering. Vue was considered; the team has more React experience and the component library targets React.`,
  },
  {
    path: '/decisions/adr-007-observability.md',
    content: `# ADR 007: OpenTelemetry for traces and metrics

Decision: instrument services with OpenTelemetry SDKs and export to the managed tracing backend. Vendor agents are not installed on hosts.
Sampling keeps 10% of traces plus every trace with an error.`,
  },
  {
    path: '/preferences/communication.md',
    content: `# How Dana likes to work with the assistant

Keep answers short: a summary first, details only when asked. Use bullet points rather than long paragraphs.
Dana works from Lisbon (WET/WEST); do not schedule anything before 9:30 local time. Prefer Slack over email for anything urgent.`,
  },
  {
    path: '/preferences/coding-style.md',
    content: `# Coding preferences for Dana's projects

TypeScript in strict mode, no any. Prefer small pure functions and named exports. Tests with Jest next to the code they test.
Use Prettier defaults with a print width of 120. Commit messages in the imperative mood with the ticket number at the end.`,
  },
  {
    path: '/preferences/travel.md',
    content: `# Travel preferences

Window seat, no red-eye flights. Prefers trains for trips under four hours. Hotel within walking distance of the office, with a gym.
Vegetarian meals. Frequent flyer number is stored in the travel tool, not here.`,
  },
  {
    path: '/preferences/meetings.md',
    content: `# Meeting preferences

No meetings on Wednesday mornings (focus time). Default meeting length 25 minutes. Send an agenda at least a day before; cancel if there is none.
Record decisions in the meeting notes folder within the same day.`,
  },
  {
    path: '/policies/expenses.md',
    content: `# Expense policy

Submit receipts in the expense tool within 30 days. Meals while travelling are reimbursed up to 60 EUR per day; alcohol is not reimbursed.
Purchases above 500 EUR need your manager's approval before buying. Software subscriptions go through IT, not expenses.`,
  },
  {
    path: '/policies/travel-booking.md',
    content: `# Travel booking policy

Book flights and hotels through the travel tool at least 14 days in advance. Economy class for flights under six hours, premium economy above.
Trains are preferred when the trip takes under four hours. Trips must be approved by your manager before booking.`,
  },
  {
    path: '/policies/paid-time-off.md',
    content: `# Paid time off

Full-time employees have 25 days of paid vacation per year plus public holidays. Up to five unused days carry over to the next year and expire on March 31.
Request time off in the HR portal at least two weeks ahead for absences longer than three days. Sick leave does not count against vacation.`,
  },
  {
    path: '/policies/parental-leave.md',
    content: `# Parental leave

Birth parents receive 20 weeks of fully paid leave, other parents 12 weeks, to be taken within the first year. Leave can be split into up to three blocks.
Tell your manager and HR at least eight weeks before the leave starts.`,
  },
  {
    path: '/policies/passwords.md',
    content: `# Password and account security policy

Use the company password manager for every work account. Passwords must be unique and at least 14 characters; never reuse a personal password.
Multi-factor authentication is mandatory. Report a lost laptop or phone to IT security within one hour.`,
  },
  {
    path: '/policies/data-retention.md',
    content: `# Data retention policy

Customer data is kept while the contract runs and deleted 90 days after it ends, except invoices, which are kept for ten years for tax law.
Application logs are kept for 30 days, security audit logs for one year. Backups follow the same limits: a deleted customer disappears from backups within 35 days.`,
  },
  {
    path: '/policies/code-review.md',
    content: `# Code review policy

Every change to main needs one approving review from someone other than the author; changes to payments or authentication need two.
Reviewers answer within one working day. Keep pull requests under 400 changed lines where possible. The author merges after approval.`,
  },
  {
    path: '/policies/access-requests.md',
    content: `# Requesting access to systems

Ask for access in the IT portal; your manager approves and the system owner grants it. Production database access is read-only by default and expires after 30 days.
Admin rights are granted for a ticket's duration only. Access reviews run every quarter.`,
  },
  {
    path: '/policies/remote-work.md',
    content: `# Remote work policy

Employees may work remotely up to three days a week. Working from another country is allowed for up to 30 days a year after HR approval.
The company pays a one-time 500 EUR home-office allowance and a monthly internet stipend of 30 EUR.`,
  },
  {
    path: '/policies/security-incidents.md',
    content: `# Reporting security incidents

Report phishing, suspicious logins or leaked data to security@example.com or the #security channel immediately. Do not try to investigate on your own.
The security team decides whether customers or authorities must be notified; personal data breaches are reported to the regulator within 72 hours.`,
  },
  {
    path: '/notes/meeting-2024-06-12-roadmap.md',
    content: `# Roadmap meeting, 12 June 2024

Attendees: Dana, Malik, Priya. Decided: the mobile app rewrite moves to Q4; Q3 focuses on checkout performance and the partner API.
Malik owns the partner API design; Priya will hire a second SRE. Next review on 10 July.`,
  },
  {
    path: '/notes/meeting-2024-07-10-roadmap.md',
    content: `# Roadmap review, 10 July 2024

Checkout p95 latency went from 1.8 s to 900 ms. The partner API beta starts in August with two partners.
The SRE hire is in final interviews. The mobile rewrite stays in Q4; the design team starts wireframes in September.`,
  },
  {
    path: '/notes/customer-acme.md',
    content: `# Customer notes: Acme Logistics

Enterprise plan since 2022, 340 seats. Main contact: Jordan Lee (operations). They sync shipments through our API every night and care most about uptime during the night window (01:00-04:00 UTC).
Renewal in October; they asked for SSO with Azure AD and an export of audit logs.`,
  },
  {
    path: '/notes/customer-bluebird.md',
    content: `# Customer notes: Bluebird Health

Trial started in May, 40 seats, healthcare data, so they need a data processing agreement and EU hosting.
Concerns: where backups are stored and how fast deleted records disappear. Contact: Dr. Amara Okafor.`,
  },
  {
    path: '/notes/vendor-comparison-email.md',
    content: `# Transactional email providers compared

We send about 2 million emails a month (receipts, password resets). Compared three providers on price, deliverability and EU data residency.
Provider A is cheapest but has no EU region; provider B has the best deliverability reports; provider C bundles SMS. Recommendation: provider B.`,
  },
  {
    path: '/notes/onboarding-checklist.md',
    content: `# Onboarding checklist for new engineers

Week 1: laptop, accounts through single sign-on, development environment, read the architecture overview, pair on a small bug.
Week 2: join the on-call shadow rotation, ship a change to production with a buddy, meet the product team.
By the end of month one: own a small feature end to end.`,
  },
  {
    path: '/notes/architecture-overview.md',
    content: `# Architecture overview

The web app (React) talks to an API gateway that routes to services: accounts, catalog, checkout, payments and notifications.
Services share Postgres clusters per domain and talk asynchronously through SQS queues. Redis caches sessions and catalog pages. Everything runs on Kubernetes in two regions.`,
  },
  {
    path: '/notes/glossary.md',
    content: `# Glossary

SLO: service level objective, the target for availability or latency (for checkout: 99.9% of requests under 1 s).
Error budget: the failures the SLO allows in a month. RPO: how much data we may lose in a disaster (15 minutes). RTO: how long recovery may take (4 hours).`,
  },
  {
    path: '/notes/disaster-recovery.md',
    content: `# Disaster recovery plan

If a region fails, traffic fails over to the second region by DNS within 15 minutes. Databases replicate continuously across regions; the recovery point objective is 15 minutes.
We rehearse a regional failover twice a year. The last rehearsal in April took 38 minutes end to end.`,
  },
  {
    path: '/notes/performance-budget.md',
    content: `# Web performance budget

Pages must load in under 2.5 s (largest contentful paint) on a mid-range phone over 4G. JavaScript bundles stay under 200 KB compressed per route.
The CI pipeline fails a pull request that exceeds the budget by more than 10%.`,
  },
  {
    path: '/notes/hiring-process.md',
    content: `# Hiring process for engineers

Stages: recruiter call, take-home exercise (max 3 hours, paid), technical interview about the exercise, team interview, references.
Every interviewer writes feedback within 24 hours. We aim to make an offer within two weeks of the first call.`,
  },
  {
    path: '/notes/team-contacts.md',
    content: `# Team contacts

Platform team: Priya (lead), Tomasz. Payments: Malik (lead), Sofia. Security: Chen. HR: Laura. IT helpdesk: it-help@example.com, extension 4400.
Out of hours, use the pager for production problems only.`,
  },
  {
    path: '/notes/quarterly-goals-q3.md',
    content: `# Q3 goals

1. Checkout p95 latency under 1 s. 2. Partner API in beta with two partners. 3. Reduce cloud spend by 15% through right-sizing and reserved instances.
4. Hire a second SRE. 5. Zero incidents caused by manual DNS or database changes.`,
  },
  {
    path: '/notes/cloud-costs.md',
    content: `# Cloud cost review

The monthly bill is about 84,000 USD: compute 52%, databases 23%, data transfer 11%, storage 9%.
Savings found: idle staging clusters at night (shut down 20:00-07:00), oversized database replicas, and logs kept longer than the policy allows.`,
  },
  {
    path: '/notes/api-rate-limits.md',
    content: `# API rate limits

Each API key may make 100 requests per second with bursts up to 200. Exceeding the limit returns HTTP 429 with a Retry-After header.
Partners can ask for higher limits through their account manager. Limits are enforced at the API gateway per key, not per IP address.`,
  },
  {
    path: '/notes/webhooks.md',
    content: `# Webhooks for integrators

We POST events (order.created, order.shipped, payment.failed) to the URL an integrator registers. Each request is signed with HMAC-SHA256 in the X-Signature header.
Failed deliveries are retried with exponential backoff for 24 hours. Integrators can replay events from the dashboard.`,
  },
  {
    path: '/notes/payment-provider.md',
    content: `# Payment provider integration

Card payments go through the payment provider's hosted fields, so card numbers never touch our servers (PCI scope SAQ A).
Refunds are issued from the admin console and reach the customer within 5-10 business days. Disputes are handled by the payments team.`,
  },
  {
    path: '/notes/book-notes-accelerate.md',
    content: `# Notes on "Accelerate"

The four key metrics: deployment frequency, lead time for changes, time to restore service, change failure rate.
High performers deploy on demand and restore service in under an hour. Trunk-based development and test automation predict performance.`,
  },
  {
    path: '/notes/personal-reading-list.md',
    content: `# Reading list

To read: "Designing Data-Intensive Applications", "The Staff Engineer's Path", "Thinking in Systems".
Finished this year: "Accelerate", "Team Topologies". Podcast recommendations from Malik: Software Engineering Daily, The Changelog.`,
  },
  {
    path: '/notes/office-info.md',
    content: `# Office information (Lisbon)

Address: Rua Example 12, 3rd floor. The office is open 8:00-20:00 on weekdays; badge access outside those hours.
Desks are unassigned; book one in the desk app. Lunch is catered on Tuesdays and Thursdays. Bike parking in the basement.`,
  },
  {
    path: '/notes/laptop-setup.md',
    content: `# New laptop setup

IT ships laptops with disk encryption and the device management profile. Sign in with single sign-on, install the password manager and enable the firewall.
Request admin rights for a day through the IT portal if you need to install developer tools.`,
  },
  {
    path: '/notes/kubernetes-upgrade.md',
    content: `# Kubernetes upgrade plan

Clusters run version 1.28 and must move to 1.30 before support ends in October. Upgrade staging first, run the conformance suite, then production one node pool at a time.
Deprecated APIs found: two CronJobs use batch/v1beta1 and must be updated first.`,
  },
  {
    path: '/notes/search-feature-spec.md',
    content: `# Product search: feature spec

Customers search the catalog by name, brand and category. Results must appear in under 200 ms and tolerate typos.
Phase 2 adds synonyms (sofa = couch) and personalised ranking. Search analytics track queries with zero results.`,
  },
];

export const QUERIES: EvalQuery[] = [
  // paraphrases: the words of a note said differently
  {
    kind: 'paraphrase',
    query: 'undo a broken production deploy and go back to the prior version',
    relevant: { '/runbooks/rollback-release.md': 2, '/runbooks/release-process.md': 1 },
  },
  {
    kind: 'paraphrase',
    query: 'recover records that were removed by accident',
    relevant: { '/runbooks/database-restore.md': 2, '/postmortems/2024-05-deleted-orders.md': 2 },
  },
  {
    kind: 'paraphrase',
    query: 'change passwords and tokens regularly and after they leak',
    relevant: { '/runbooks/rotate-secrets.md': 2, '/policies/passwords.md': 1 },
  },
  {
    kind: 'paraphrase',
    query: 'add more consumers when jobs pile up in the queue',
    relevant: { '/runbooks/scaling-workers.md': 2, '/postmortems/2024-09-queue-backlog.md': 1 },
  },
  {
    kind: 'paraphrase',
    query: 'vacation days allowance and carrying unused days into next year',
    relevant: { '/policies/paid-time-off.md': 2 },
  },
  { kind: 'paraphrase', query: 'disable a misbehaving feature without shipping new code', relevant: { '/runbooks/feature-flags.md': 2 } },
  { kind: 'paraphrase', query: 'the assistant should keep replies brief and use lists', relevant: { '/preferences/communication.md': 2 } },
  {
    kind: 'paraphrase',
    query: 'how long we keep client information after the agreement ends',
    relevant: { '/policies/data-retention.md': 2, '/notes/customer-bluebird.md': 1 },
  },
  {
    kind: 'paraphrase',
    query: 'reimbursement limit for food on business trips',
    relevant: { '/policies/expenses.md': 2, '/policies/travel-booking.md': 1 },
  },
  {
    kind: 'paraphrase',
    query: 'site went down because a certificate ran out',
    relevant: { '/postmortems/2024-03-expired-certificate.md': 2, '/runbooks/tls-certificates.md': 1 },
  },
  {
    kind: 'paraphrase',
    query: 'move traffic to the other region when one data center fails',
    relevant: { '/notes/disaster-recovery.md': 2 },
  },
  {
    kind: 'paraphrase',
    query: 'too many requests errors for a partner and how clients should wait before retrying',
    relevant: { '/postmortems/2024-11-rate-limit.md': 2, '/notes/api-rate-limits.md': 2 },
  },

  // keyword queries: the terms an agent would type
  {
    kind: 'keyword',
    query: 'dead-letter queue',
    relevant: { '/postmortems/2024-09-queue-backlog.md': 2, '/decisions/adr-002-message-queue.md': 2, '/runbooks/scaling-workers.md': 2 },
  },
  { kind: 'keyword', query: 'lock_timeout migrations', relevant: { '/runbooks/database-migrations.md': 2 } },
  {
    kind: 'keyword',
    query: 'OpenID Connect SSO',
    relevant: {
      '/decisions/adr-005-single-sign-on.md': 2,
      '/notes/customer-acme.md': 1,
      '/notes/laptop-setup.md': 1,
      '/notes/onboarding-checklist.md': 1,
    },
  },
  { kind: 'keyword', query: 'Kafka SQS', relevant: { '/decisions/adr-002-message-queue.md': 2, '/notes/architecture-overview.md': 1 } },
  { kind: 'keyword', query: 'HMAC signature webhooks', relevant: { '/notes/webhooks.md': 2 } },
  { kind: 'keyword', query: 'Acme renewal', relevant: { '/notes/customer-acme.md': 2 } },
  { kind: 'keyword', query: 'Kubernetes 1.30 upgrade', relevant: { '/notes/kubernetes-upgrade.md': 2 } },
  { kind: 'keyword', query: 'parental leave weeks', relevant: { '/policies/parental-leave.md': 2 } },
  { kind: 'keyword', query: 'cdn purge pricing', relevant: { '/runbooks/cache-flush.md': 2 } },
  { kind: 'keyword', query: 'OpenTelemetry sampling', relevant: { '/decisions/adr-007-observability.md': 2 } },
  { kind: 'keyword', query: 'RPO RTO', relevant: { '/notes/glossary.md': 2, '/notes/disaster-recovery.md': 1 } },
  { kind: 'keyword', query: 'memory leak checkout', relevant: { '/postmortems/2024-07-memory-leak.md': 2 } },

  // natural questions, as an agent would ask them
  {
    kind: 'question',
    query: 'Someone deleted customer rows an hour ago. How do I get them back?',
    relevant: { '/runbooks/database-restore.md': 2, '/postmortems/2024-05-deleted-orders.md': 1 },
  },
  {
    kind: 'question',
    query: 'How do we undo a broken release in production?',
    relevant: { '/runbooks/rollback-release.md': 2, '/runbooks/release-process.md': 1 },
  },
  {
    kind: 'question',
    query: 'What time zone is Dana in and when can I book meetings?',
    relevant: { '/preferences/communication.md': 2, '/preferences/meetings.md': 2 },
  },
  { kind: 'question', query: 'Which database did we choose and why?', relevant: { '/decisions/adr-001-postgres.md': 2 } },
  { kind: 'question', query: 'How many days can I work from abroad?', relevant: { '/policies/remote-work.md': 2 } },
  { kind: 'question', query: 'Who needs to approve a pull request that touches payments?', relevant: { '/policies/code-review.md': 2 } },
  {
    kind: 'question',
    query: 'What should I do if I get paged at night?',
    relevant: { '/runbooks/on-call.md': 2, '/runbooks/incident-response.md': 1 },
  },
  { kind: 'question', query: 'How do I get read access to the production database?', relevant: { '/policies/access-requests.md': 2 } },
  { kind: 'question', query: 'Which email provider did we recommend?', relevant: { '/notes/vendor-comparison-email.md': 2 } },
  { kind: 'question', query: 'When do we write a postmortem after an outage?', relevant: { '/runbooks/incident-response.md': 2 } },
  { kind: 'question', query: 'How fast must the web pages load on phones?', relevant: { '/notes/performance-budget.md': 2 } },
  { kind: 'question', query: 'What does Bluebird Health worry about?', relevant: { '/notes/customer-bluebird.md': 2 } },

  // questions the workspace does not answer
  { kind: 'unanswerable', query: 'What is the recipe for sourdough bread?', relevant: {} },
  { kind: 'unanswerable', query: 'Who won the football world cup in 2014?', relevant: {} },
  { kind: 'unanswerable', query: 'How do I configure the office printer?', relevant: {} },
  { kind: 'unanswerable', query: 'What is the wifi password for guests?', relevant: {} },
  { kind: 'unanswerable', query: 'How do I migrate our iOS app to SwiftUI?', relevant: {} },
  { kind: 'unanswerable', query: 'What is the company stock option vesting schedule?', relevant: {} },
  { kind: 'unanswerable', query: 'Translate the privacy policy into Japanese', relevant: {} },
  { kind: 'unanswerable', query: 'best hiking trails near Lisbon', relevant: {} },
  { kind: 'unanswerable', query: 'GraphQL schema federation gateway', relevant: {} },
  { kind: 'unanswerable', query: 'How do I file my personal income tax return?', relevant: {} },
];
