"""The ledger's write path for one or many operations at once (group commit).

ledger_begin_many: the idempotency state of each request (an advisory lock tells
"still in flight"), then every account to change is locked in id order (one statement,
so no two callers can deadlock), then, in a fresh snapshot, the accounts and the
wallets' live lots are read. Deadlocks and serialization failures are retried inside,
in a subtransaction, a bounded number of times.

ledger_write: writes any number of operations with plain typed arrays (no JSON to
unpack row by row): operations, transfers and their chain queue entries, lots created
or changed, lot movements, wallet balances (rows already locked), insert-only balance
deltas for merchants and system accounts (summed per account: no hot row), and the
idempotency records. Set-based: the cost per operation falls as the batch grows.

Arrays of one operation's parts refer to it by its 1-based position (``g_op``, ``m_op``).
Text-typed JSON (``o_details``, ``m_tags`` …) keeps the call independent of the
driver's JSON codecs.
"""

from __future__ import annotations

LEDGER_BEGIN_MANY_V1 = r"""
CREATE FUNCTION ledger_begin_many(
  p_currency smallint, p_principal text[], p_key text[], p_fingerprint bytea[],
  p_lock bigint[], p_lots_of bigint[]
) RETURNS text LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_status jsonb;
  v_accounts jsonb;
  v_lots jsonb;
BEGIN
  SELECT coalesce(jsonb_agg(CASE
           WHEN r.key IS NULL THEN '"ok"'::jsonb
           WHEN NOT r.mine THEN '"in_flight"'::jsonb
           WHEN i.fingerprint IS NULL THEN '"ok"'::jsonb
           WHEN i.fingerprint = r.fingerprint THEN jsonb_build_object('replay', i.response)
           ELSE '"conflict"'::jsonb END ORDER BY r.n), '[]'::jsonb)
    INTO v_status
    FROM (SELECT u.n, u.principal, u.key, u.fingerprint,
                 u.key IS NOT NULL AND pg_try_advisory_xact_lock(hashtextextended(
                   p_currency::text || '/' || u.principal || '/' || u.key, 0)) AS mine
            FROM unnest(p_principal, p_key, p_fingerprint) WITH ORDINALITY
                 AS u(principal, key, fingerprint, n)) r
    LEFT JOIN LATERAL (  -- LIMIT: one index probe per request, never a hash of the table
      SELECT fingerprint, response FROM ledger_idempotency
       WHERE currency_id = p_currency AND principal = r.principal AND key = r.key LIMIT 1
    ) i ON r.mine;
  FOR attempt IN 1..8 LOOP
    BEGIN
      PERFORM 1 FROM (
        SELECT id FROM ledger_account
         WHERE currency_id = p_currency AND id = ANY(p_lock)
         ORDER BY id FOR NO KEY UPDATE) locked;
      EXIT;
    EXCEPTION WHEN deadlock_detected OR serialization_failure OR lock_not_available THEN
      IF attempt = 8 THEN
        RAISE EXCEPTION 'ledger busy' USING ERRCODE = 'MG503';
      END IF;
      PERFORM pg_sleep(random() * 0.005 * attempt);
    END;
  END LOOP;
  SELECT coalesce(jsonb_agg(jsonb_build_array(a.id, a.kind, a.status,
           a.balance + CASE WHEN a.kind = 'wallet' THEN 0 ELSE
             coalesce((SELECT sum(d.amount) FROM ledger_balance_delta d
                        WHERE d.currency_id = p_currency AND d.account_id = a.id), 0) END
         ) ORDER BY a.id), '[]'::jsonb)
    INTO v_accounts
    FROM ledger_account a
   WHERE a.currency_id = p_currency AND a.id = ANY(p_lock || p_lots_of);
  SELECT coalesce(jsonb_agg(jsonb_build_array(l.id, l.wallet_account_id, l.kind,
           l.amount_remaining, l.expires_on, l.allowed_tags, l.allowed_districts,
           l.programme_id) ORDER BY l.id), '[]'::jsonb)
    INTO v_lots
    FROM ledger_lot l
   WHERE l.currency_id = p_currency AND l.wallet_account_id = ANY(p_lots_of)
     AND l.amount_remaining > 0;
  RETURN jsonb_build_object('status', v_status, 'accounts', v_accounts, 'lots', v_lots)::text;
END $$;
"""

LEDGER_WRITE_V1 = r"""
CREATE FUNCTION ledger_write(
  p_currency smallint,
  o_kind text[], o_actor text[], o_reason text[], o_reverses bigint[], o_details text[],
  o_principal text[], o_key text[], o_fingerprint bytea[], o_response text[],
  g_op int[], g_leg int[], g_debit bigint[], g_credit bigint[], g_amount bigint[],
  g_kind text[], g_reverses bigint[],
  m_op int[], m_leg int[], m_lot bigint[], m_wallet bigint[], m_amount bigint[],
  m_kind text[], m_programme bigint[], m_expires date[], m_tags text[], m_districts text[],
  m_origin bigint[]
) RETURNS text LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_ops bigint[];
  v_tr bigint[];
  v_lot bigint[];
  v_wallets bigint[];
  v_results jsonb[];
  v_debited bigint[];
  v_wanted int;
  v_changed int;
  v_short bigint;
BEGIN
  v_ops := ARRAY(SELECT nextval('ledger_operation_id_seq') FROM unnest(o_kind));
  v_tr := ARRAY(SELECT nextval('ledger_transfer_id_seq') FROM unnest(g_op));
  v_lot := ARRAY(SELECT CASE WHEN m.lot IS NULL THEN nextval('ledger_lot_id_seq') END
                   FROM unnest(m_lot) WITH ORDINALITY AS m(lot, k) ORDER BY m.k);
  v_wallets := ARRAY(SELECT id FROM ledger_account
                      WHERE currency_id = p_currency AND id = ANY(g_debit || g_credit)
                        AND kind = 'wallet');

  INSERT INTO ledger_operation (currency_id, id, kind, actor, reason, idempotency_key,
                                reverses_operation_id, details)
  SELECT p_currency, o.id, o.kind, o.actor, o.reason, o.key, o.reverses,
         coalesce(o.details::jsonb, '{}'::jsonb)
    FROM unnest(v_ops, o_kind, o_actor, o_reason, o_key, o_reverses, o_details)
         AS o(id, kind, actor, reason, key, reverses, details);

  INSERT INTO ledger_transfer (currency_id, id, operation_id, leg, debit_account_id,
                               credit_account_id, amount, kind, reverses_transfer_id)
  SELECT p_currency, g.id, v_ops[g.op], g.leg, g.debit, g.credit, g.amount, g.kind, g.reverses
    FROM unnest(v_tr, g_op, g_leg, g_debit, g_credit, g_amount, g_kind, g_reverses)
         AS g(id, op, leg, debit, credit, amount, kind, reverses);
  INSERT INTO ledger_chain_queue (currency_id, transfer_id)
  SELECT p_currency, t FROM unnest(v_tr) t;

  -- Every leg touching a wallet is matched by lot movements of exactly its amount, and
  -- every movement is on the side of its leg that its sign says.
  IF EXISTS (
    WITH g AS (
      SELECT * FROM unnest(g_op, g_leg, g_debit, g_credit, g_amount)
                    AS g(op, leg, debit, credit, amount)
    ), wanted AS (
      SELECT op, leg, debit AS wallet, -amount AS amount FROM g WHERE debit = ANY(v_wallets)
      UNION ALL
      SELECT op, leg, credit, amount FROM g WHERE credit = ANY(v_wallets)
    ), moved AS (
      SELECT op, leg, wallet, sum(amount) AS amount
        FROM unnest(m_op, m_leg, m_wallet, m_amount) AS m(op, leg, wallet, amount)
       GROUP BY 1, 2, 3
    )
    SELECT 1 FROM wanted FULL JOIN moved USING (op, leg, wallet)
     WHERE coalesce(wanted.amount, 0) <> coalesce(moved.amount, 0)
  ) OR EXISTS (
    SELECT 1
      FROM unnest(m_op, m_leg, m_wallet, m_amount) AS m(op, leg, wallet, amount)
      LEFT JOIN unnest(g_op, g_leg, g_debit, g_credit) AS g(op, leg, debit, credit)
           USING (op, leg)
     WHERE m.wallet IS DISTINCT FROM CASE WHEN m.amount < 0 THEN g.debit ELSE g.credit END
  ) THEN
    RAISE EXCEPTION 'lot movements do not match the transfers' USING ERRCODE = 'MG422';
  END IF;

  INSERT INTO ledger_lot (currency_id, id, wallet_account_id, kind, programme_id,
                          amount_issued, amount_remaining, expires_on, allowed_tags,
                          allowed_districts, origin_lot_id)
  SELECT p_currency, m.id, m.wallet, m.kind, m.programme, m.amount, m.amount, m.expires,
         CASE WHEN m.tags IS NOT NULL
              THEN ARRAY(SELECT jsonb_array_elements_text(m.tags::jsonb)) END,
         CASE WHEN m.districts IS NOT NULL
              THEN ARRAY(SELECT jsonb_array_elements_text(m.districts::jsonb)) END,
         m.origin
    FROM unnest(v_lot, m_lot, m_wallet, m_kind, m_programme, m_amount, m_expires, m_tags,
                m_districts, m_origin)
         AS m(id, existing, wallet, kind, programme, amount, expires, tags, districts, origin)
   WHERE m.existing IS NULL;

  WITH change AS (
    SELECT lot, wallet, sum(amount) AS amount
      FROM unnest(m_lot, m_wallet, m_amount) AS m(lot, wallet, amount)
     WHERE lot IS NOT NULL GROUP BY 1, 2
  ), changed AS (
    UPDATE ledger_lot l SET amount_remaining = l.amount_remaining + c.amount
      FROM change c
     WHERE l.currency_id = p_currency AND l.id = c.lot AND l.wallet_account_id = c.wallet
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM change), (SELECT count(*) FROM changed)
    INTO v_wanted, v_changed;
  IF v_wanted <> v_changed THEN
    RAISE EXCEPTION 'a lot is not in the wallet of its movement' USING ERRCODE = 'MG422';
  END IF;

  INSERT INTO ledger_lot_movement (currency_id, transfer_id, lot_id, amount)
  SELECT p_currency, v_tr[g.j], coalesce(m.lot, v_lot[m.k]), m.amount
    FROM unnest(m_op, m_leg, m_lot, m_amount) WITH ORDINALITY AS m(op, leg, lot, amount, k)
    JOIN unnest(g_op, g_leg) WITH ORDINALITY AS g(op, leg, j) USING (op, leg)
   ORDER BY m.k;

  WITH d AS (
    SELECT account_id, sum(amount) AS amount
      FROM (SELECT * FROM unnest(g_credit, g_amount) AS c(account_id, amount)
            UNION ALL
            SELECT account_id, -amount FROM unnest(g_debit, g_amount) AS d(account_id, amount)
           ) x
     GROUP BY account_id
    HAVING sum(amount) <> 0
  ), wallets AS (
    UPDATE ledger_account a
       SET balance = a.balance + (SELECT d.amount FROM d WHERE d.account_id = a.id)
     WHERE a.currency_id = p_currency AND a.id = ANY(v_wallets)
       AND a.id IN (SELECT account_id FROM d)
  ), plain AS (
    INSERT INTO ledger_balance_delta (currency_id, account_id, amount)
    SELECT p_currency, account_id, amount FROM d
     WHERE account_id <> ALL(v_wallets) ORDER BY account_id
  )
  SELECT array_agg(account_id) FILTER (WHERE amount < 0 AND account_id <> ALL(v_wallets))
    INTO v_debited FROM d;

  IF v_debited IS NOT NULL THEN
    SELECT min(a.balance + coalesce((SELECT sum(b.amount) FROM ledger_balance_delta b
                                      WHERE b.currency_id = p_currency
                                        AND b.account_id = a.id), 0))
      INTO v_short
      FROM ledger_account a
     WHERE a.currency_id = p_currency AND a.id = ANY(v_debited) AND a.kind = 'merchant';
    IF v_short < 0 THEN
      RAISE EXCEPTION 'merchant balance would go below zero' USING ERRCODE = 'MG409';
    END IF;
  END IF;

  WITH t AS (
    SELECT op, jsonb_object_agg(leg::text, id) AS transfers
      FROM unnest(g_op, g_leg, v_tr) AS g(op, leg, id) GROUP BY op
  ), nl AS (
    SELECT op, jsonb_agg(id ORDER BY k) AS lots
      FROM unnest(m_op, m_lot, v_lot) WITH ORDINALITY AS m(op, existing, id, k)
     WHERE existing IS NULL GROUP BY op
  )
  SELECT array_agg(jsonb_build_object('operation_id', o.id,
                                      'transfers', coalesce(t.transfers, '{}'::jsonb),
                                      'lots', coalesce(nl.lots, '[]'::jsonb)) ORDER BY o.i)
    INTO v_results
    FROM unnest(v_ops) WITH ORDINALITY AS o(id, i)
    LEFT JOIN t ON t.op = o.i LEFT JOIN nl ON nl.op = o.i;

  INSERT INTO ledger_idempotency (currency_id, principal, key, fingerprint, operation_id,
                                  response)
  SELECT p_currency, u.principal, u.key, u.fingerprint, u.id,
         coalesce(u.response::jsonb, '{}'::jsonb) || u.result
    FROM unnest(o_principal, o_key, o_fingerprint, o_response, v_ops, v_results)
         AS u(principal, key, fingerprint, response, id, result)
   WHERE u.key IS NOT NULL;

  RETURN to_jsonb(v_results)::text;
END $$;
"""

FUNCTIONS_V1 = (LEDGER_BEGIN_MANY_V1, LEDGER_WRITE_V1)
