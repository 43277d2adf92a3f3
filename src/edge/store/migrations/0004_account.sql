-- A meter swap the customer requests in the portal (a smart meter instead of an analog one, or a
-- defective meter replaced) is a meter order like an installation: it starts as `created`, and
-- keeps why the customer asked and what they wrote. Installations have neither.
ALTER TABLE meter_orders ADD COLUMN request_reason TEXT
    CHECK (request_reason IN ('upgrade', 'defective', 'other'));
ALTER TABLE meter_orders ADD COLUMN request_message TEXT;
