-- The customer data of the edge API, in the shapes of the Nomos API (2026-05-27.curie).
--
-- Units, the same in every table:
--   instants          INTEGER unix seconds (UTC), columns named *_at
--   calendar months   the instant the month starts in Europe/Berlin
--   energy            INTEGER watt-hours, columns named *_wh
--   money             INTEGER euro cents, columns named *_ct
--   prices per kWh    INTEGER millicents per kWh, columns named *_mct_per_kwh
--                     (1 mct/kWh = 0.001 ct/kWh = 0.01 EUR/MWh, the resolution of EPEX prices)
--   rates             INTEGER basis points (1900 = 19 %)
-- Ids carry the Nomos prefixes (cus_, sub_, adr_, mtr_, pm_, inv_, mr_, prdo_, prd_).

-- Synced from the tenant configs on every start; rows are never deleted.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,                     -- the tenant file's name: tenants/<id>.yaml
    name TEXT NOT NULL
);

CREATE TABLE plans (
    slug TEXT PRIMARY KEY,                   -- one portal: https://<slug>.customerportal.energy/
    id TEXT NOT NULL UNIQUE,                 -- pln_…, derived from the slug so it never changes
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL
);
CREATE INDEX plans_by_org ON plans (org_id);

-- The price components of a plan, net of VAT. A plan without a row has no known tariff: its
-- price items carry null amounts.
CREATE TABLE plan_tariffs (
    plan_slug TEXT PRIMARY KEY REFERENCES plans(slug),
    markup_mct_per_kwh INTEGER NOT NULL,          -- on top of the day-ahead price
    base_price_ct_per_month INTEGER NOT NULL,     -- the retailer's monthly fee
    grid_fee_mct_per_kwh INTEGER NOT NULL,        -- grid operator's working price
    grid_base_ct_per_month INTEGER NOT NULL,      -- grid operator's base price and metering
    levies_mct_per_kwh INTEGER NOT NULL,          -- KWKG, offshore and §19 StromNEV levies
    electricity_tax_mct_per_kwh INTEGER NOT NULL, -- Stromsteuer
    concession_fee_mct_per_kwh INTEGER NOT NULL,  -- Konzessionsabgabe
    vat_basis_points INTEGER NOT NULL,
    notice_period_days INTEGER NOT NULL           -- for an ordinary termination
);

-- 15-minute day-ahead prices, shared by every plan. A slot starts at start_at and lasts 900 s.
CREATE TABLE market_prices (
    zone TEXT NOT NULL,                      -- bidding zone, 'DE-LU'
    start_at INTEGER NOT NULL CHECK (start_at % 900 = 0),
    price_mct_per_kwh INTEGER NOT NULL,      -- may be negative
    PRIMARY KEY (zone, start_at)
) WITHOUT ROWID;

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    plan_slug TEXT NOT NULL REFERENCES plans(slug),
    type TEXT NOT NULL CHECK (type IN ('person', 'company')),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    company_name TEXT,
    email TEXT NOT NULL,                     -- as entered
    email_normalized TEXT NOT NULL,          -- trimmed, lowercase: what sign-in matches
    vat_id TEXT,
    locale TEXT NOT NULL CHECK (locale IN ('de', 'en')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((type = 'company') = (company_name IS NOT NULL)),
    UNIQUE (plan_slug, email_normalized),
    UNIQUE (id, plan_slug)                   -- target of the subscriptions' plan check
);

CREATE TABLE addresses (
    id TEXT PRIMARY KEY,
    street TEXT NOT NULL,
    house_number TEXT NOT NULL,
    zip TEXT NOT NULL,
    city TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE meters (
    meter_key INTEGER PRIMARY KEY,           -- compact key for the usage tables
    id TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('smart', 'analog')),
    melo TEXT,
    malo TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE payment_methods (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    type TEXT NOT NULL CHECK (type = 'sepa_debit'),
    iban TEXT NOT NULL,                      -- full, without spaces; served masked
    account_holder TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX payment_methods_by_customer ON payment_methods (customer_id);

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    plan_slug TEXT NOT NULL,
    number TEXT UNIQUE,                      -- human-readable, prefix of the invoice numbers
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'ended')),
    type TEXT NOT NULL DEFAULT 'consumption' CHECK (type IN ('consumption', 'feed_in')),
    address_id TEXT NOT NULL REFERENCES addresses(id),
    billing_address_id TEXT NOT NULL REFERENCES addresses(id),
    meter_id TEXT NOT NULL REFERENCES meters(id),
    payment_method_id TEXT NOT NULL REFERENCES payment_methods(id),
    estimated_usage_kwh INTEGER NOT NULL,    -- per year, from the checkout
    monthly_prepayment_ct INTEGER,           -- gross advance payment (analog meters)
    start_at INTEGER,                        -- delivery starts (midnight Europe/Berlin)
    end_at INTEGER,                          -- delivery ends, exclusive (midnight Europe/Berlin)
    terminated_at INTEGER,                   -- when the termination was received
    termination_reason TEXT CHECK (termination_reason IN ('ORDINARY', 'MOVE_OUT', 'WITHDRAWAL')),
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),  -- a JSON object
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    FOREIGN KEY (customer_id, plan_slug) REFERENCES customers(id, plan_slug),
    UNIQUE (id, customer_id)                 -- target of the customer checks below
);
CREATE INDEX subscriptions_by_customer ON subscriptions (customer_id, created_at);
CREATE INDEX subscriptions_by_meter ON subscriptions (meter_id);

-- Add-on products a subscription has booked.
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    code TEXT NOT NULL,                      -- e.g. 'smart_meter_operation', 'green_plus'
    name TEXT NOT NULL,
    price_ct_per_month INTEGER NOT NULL,     -- gross
    status TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    start_at INTEGER NOT NULL,
    end_at INTEGER,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (subscription_id, customer_id) REFERENCES subscriptions(id, customer_id)
);
CREATE INDEX products_by_subscription ON products (subscription_id);

-- Smart meters: consumption per 15 minutes. Preliminary values may still be replaced.
CREATE TABLE usage_15min (
    meter_key INTEGER NOT NULL REFERENCES meters(meter_key),
    start_at INTEGER NOT NULL CHECK (start_at % 900 = 0),
    energy_wh INTEGER NOT NULL,
    is_final INTEGER NOT NULL CHECK (is_final IN (0, 1)),
    PRIMARY KEY (meter_key, start_at)
) WITHOUT ROWID;

-- Analog meters: consumption per calendar month, from readings or estimated.
CREATE TABLE usage_monthly (
    meter_key INTEGER NOT NULL REFERENCES meters(meter_key),
    start_at INTEGER NOT NULL,               -- 00:00 Europe/Berlin on the 1st (or supply start)
    energy_wh INTEGER NOT NULL,
    is_final INTEGER NOT NULL CHECK (is_final IN (0, 1)),
    source TEXT NOT NULL CHECK (source IN ('reading', 'estimation')),
    PRIMARY KEY (meter_key, start_at)
) WITHOUT ROWID;

CREATE TABLE meter_readings (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    meter_id TEXT NOT NULL REFERENCES meters(id),
    value_wh INTEGER NOT NULL CHECK (value_wh > 0),   -- the meter's cumulative count
    read_at INTEGER NOT NULL,                -- Nomos `timestamp`: start of the day, Europe/Berlin
    type TEXT NOT NULL CHECK (type IN ('customer_report', 'grid_reading', 'grid_estimation')),
    message TEXT,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (subscription_id, customer_id) REFERENCES subscriptions(id, customer_id),
    UNIQUE (meter_id, read_at)             -- one reading per meter and day
);
CREATE INDEX meter_readings_by_subscription ON meter_readings (subscription_id, read_at);
CREATE INDEX meter_readings_by_customer ON meter_readings (customer_id, read_at);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    invoice_number TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('usage', 'prepayment', 'void')),
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'voided', 'uncollectible')),
    year INTEGER NOT NULL,
    month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    period_start INTEGER NOT NULL,           -- inclusive
    period_end INTEGER NOT NULL,             -- exclusive
    period_number INTEGER NOT NULL,          -- 1-based, per subscription
    usage_wh INTEGER,                        -- usage invoices only
    net_ct INTEGER NOT NULL,
    vat_ct INTEGER NOT NULL,
    total_ct INTEGER NOT NULL,               -- gross; negative for a Storno
    vat_basis_points INTEGER NOT NULL,
    voids TEXT UNIQUE REFERENCES invoices(id),  -- the invoice a Storno reverses; the voided
                                             -- invoice finds its Storno through this column
    issued_at INTEGER,
    due_at INTEGER,
    paid_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((type = 'void') = (voids IS NOT NULL)),
    CHECK ((type = 'usage') = (usage_wh IS NOT NULL)),
    CHECK (total_ct = net_ct + vat_ct),
    FOREIGN KEY (subscription_id, customer_id) REFERENCES subscriptions(id, customer_id)
);
CREATE INDEX invoices_by_customer ON invoices (customer_id, period_start, id);
CREATE INDEX invoices_by_subscription ON invoices (subscription_id, period_start, id);

-- The lines of an invoice, net. quantity_milli is in thousandths of the unit, so for 'kWh' it
-- is watt-hours; 'month' lines are prorated by days. amount_ct is what the line adds up to.
CREATE TABLE invoice_lines (
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    position INTEGER NOT NULL,
    component TEXT NOT NULL CHECK (component IN (
        'energy',               -- day-ahead price of the consumed energy  (price: electricity)
        'markup',               -- the plan's working price markup          (electricity)
        'base_price',           -- the plan's monthly fee                   (electricity)
        'grid_fee',             -- grid working price                       (grid)
        'grid_base',            -- grid base price and metering             (grid)
        'levies',               -- KWKG, offshore, §19 StromNEV levies      (levies)
        'electricity_tax',      -- Stromsteuer                              (levies)
        'concession_fee',       -- Konzessionsabgabe                        (levies)
        'prepayment',           -- a monthly advance payment
        'prepayments_credited', -- advance payments deducted in a settlement (negative)
        'reversal'              -- a Storno line reversing another invoice  (negative)
    )),
    quantity_milli INTEGER NOT NULL,
    unit TEXT NOT NULL CHECK (unit IN ('kWh', 'month', 'piece')),
    unit_price_mct INTEGER NOT NULL,         -- millicents per unit
    amount_ct INTEGER NOT NULL,
    PRIMARY KEY (invoice_id, position)
) WITHOUT ROWID;

-- Every direct-debit attempt of an invoice: the payment history shows failed ones.
CREATE TABLE invoice_payments (
    id INTEGER PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
    amount_ct INTEGER NOT NULL,
    attempted_at INTEGER NOT NULL,
    failure_code TEXT,                       -- e.g. 'insufficient_funds' (SEPA return reason)
    CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
    UNIQUE (invoice_id, attempted_at)
);

-- Smart meter installations.
CREATE TABLE meter_orders (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    provider TEXT NOT NULL CHECK (provider IN ('energy-metering', 'metrify', 'inexogy')),
    status TEXT NOT NULL CHECK (status IN ('created', 'placed', 'check_submitted',
        'check_reviewed', 'scheduled', 'installed', 'activated', 'cancelled')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    installed_at INTEGER,
    activated_at INTEGER,
    cancelled_at INTEGER,
    cancelled_reason TEXT CHECK (cancelled_reason IN ('pre_existing', 'customer_request')),
    blocked_at INTEGER,                      -- set while the order is blocked
    blocked_reason TEXT CHECK (blocked_reason IN ('check_missing', 'grid_operator_registration')),
    appointment_at INTEGER,
    CHECK ((blocked_at IS NULL) = (blocked_reason IS NULL)),
    FOREIGN KEY (subscription_id, customer_id) REFERENCES subscriptions(id, customer_id)
);
CREATE INDEX meter_orders_by_subscription ON meter_orders (subscription_id, created_at);
CREATE INDEX meter_orders_by_customer ON meter_orders (customer_id, created_at);

-- The timeline of a meter order: every status it reached, and when it was blocked.
CREATE TABLE meter_order_events (
    meter_order_id TEXT NOT NULL REFERENCES meter_orders(id),
    position INTEGER NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('created', 'placed', 'check_submitted',
        'check_reviewed', 'scheduled', 'installed', 'activated', 'cancelled', 'blocked',
        'unblocked')),
    occurred_at INTEGER NOT NULL,
    PRIMARY KEY (meter_order_id, position)
) WITHOUT ROWID;

-- What customers, webhooks and operators changed: time, customer and the change as JSON.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    occurred_at INTEGER NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    subscription_id TEXT REFERENCES subscriptions(id),
    actor TEXT NOT NULL CHECK (actor IN ('customer', 'webhook', 'operator')),
    action TEXT NOT NULL,                    -- e.g. 'customer.update', 'subscription.terminate'
    changes TEXT NOT NULL CHECK (json_valid(changes))   -- {"field": {"from": …, "to": …}}
);
CREATE INDEX audit_events_by_customer ON audit_events (customer_id, occurred_at);

-- Webhook events already handled, to ignore redeliveries (kept at least 72 hours).
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,                     -- the event's evt_… id
    org_id TEXT NOT NULL REFERENCES organizations(id),
    topic TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX webhook_events_by_time ON webhook_events (received_at);

-- What the demo generator has seeded: its seed and the instant its data is anchored to, so a
-- later start rolls the same data forward.
CREATE TABLE demo_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    seed INTEGER NOT NULL,
    anchor_at INTEGER NOT NULL
);
