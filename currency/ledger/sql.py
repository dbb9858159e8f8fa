"""The ledger's two SQL functions, as the migration that created them installed them.

A migration imports the version it needs; a later change adds FUNCTIONS_V2 rather than
editing V1, so old migrations keep meaning what they meant.

ledger_begin: idempotency check (an advisory lock tells "still in flight"), then the
accounts to change are locked in id order (FOR NO KEY UPDATE, compatible with the key
share locks of foreign keys), then, in a new statement and so a fresh snapshot, the
wallets' live lots and balances are read. Deadlocks and serialization failures are
retried inside, in a subtransaction, a bounded number of times.

ledger_post: writes one operation: transfers, lots created or changed, lot movements,
wallet balances (rows already locked), insert-only balance deltas for merchants and
system accounts (no hot row), chain queue entries and the idempotency record.
"""

from __future__ import annotations

LEDGER_BEGIN_V1 = r"""
CREATE FUNCTION ledger_begin(
  p_currency smallint, p_principal text, p_key text, p_fingerprint bytea,
  p_lock bigint[], p_lots_of bigint[]
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  rec record;
  v_accounts jsonb;
  v_lots jsonb;
BEGIN
  IF p_key IS NOT NULL THEN
    IF NOT pg_try_advisory_xact_lock(
         hashtextextended(p_currency::text || '/' || p_principal || '/' || p_key, 0)) THEN
      RETURN jsonb_build_object('status', 'in_flight');
    END IF;
    SELECT fingerprint, response INTO rec FROM ledger_idempotency
     WHERE currency_id = p_currency AND principal = p_principal AND key = p_key;
    IF FOUND THEN
      IF rec.fingerprint = p_fingerprint THEN
        RETURN jsonb_build_object('status', 'replay', 'response', rec.response);
      END IF;
      RETURN jsonb_build_object('status', 'conflict');
    END IF;
  END IF;
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
           a.balance + coalesce((SELECT sum(d.amount) FROM ledger_balance_delta d
                                  WHERE d.currency_id = p_currency AND d.account_id = a.id), 0)
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
  RETURN jsonb_build_object('status', 'ok', 'accounts', v_accounts, 'lots', v_lots);
END $$;
"""

LEDGER_POST_V1 = r"""
CREATE FUNCTION ledger_post(p_currency smallint, p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_op bigint;
  v_transfers jsonb;
  v_lots jsonb := '[]'::jsonb;
  v_lot bigint;
  v_short bigint;
  v_debited bigint[];
  m record;
BEGIN
  INSERT INTO ledger_operation (currency_id, kind, actor, reason, idempotency_key,
                                reverses_operation_id, details)
  VALUES (p_currency, p->>'kind', p->>'actor', p->>'reason', p->>'key',
          (p->>'reverses')::bigint, coalesce(p->'details', '{}'::jsonb))
  RETURNING id INTO v_op;

  WITH legs AS (
    SELECT * FROM jsonb_to_recordset(p->'legs')
      AS l(leg int, debit bigint, credit bigint, amount bigint, kind text, reverses bigint)
  ), ins AS (
    INSERT INTO ledger_transfer (currency_id, operation_id, leg, debit_account_id,
                                 credit_account_id, amount, kind, reverses_transfer_id)
    SELECT p_currency, v_op, leg, debit, credit, amount, kind, reverses FROM legs ORDER BY leg
    RETURNING id, leg
  ), queued AS (
    INSERT INTO ledger_chain_queue (currency_id, transfer_id) SELECT p_currency, id FROM ins
  )
  SELECT jsonb_object_agg(leg::text, id) INTO v_transfers FROM ins;

  -- Every leg touching a wallet is matched by lot movements of exactly its amount.
  IF EXISTS (
    SELECT 1
      FROM jsonb_to_recordset(p->'legs') AS l(leg int, debit bigint, credit bigint, amount bigint)
      JOIN ledger_account a
        ON a.currency_id = p_currency AND a.id IN (l.debit, l.credit) AND a.kind = 'wallet'
     WHERE coalesce((SELECT sum((mv->>'amount')::bigint)
                       FROM jsonb_array_elements(coalesce(p->'moves', '[]'::jsonb)) mv
                      WHERE (mv->>'leg')::int = l.leg AND (mv->>'wallet')::bigint = a.id), 0)
           <> CASE WHEN a.id = l.credit THEN l.amount ELSE -l.amount END
  ) OR EXISTS (
    SELECT 1
      FROM jsonb_array_elements(coalesce(p->'moves', '[]'::jsonb)) mv
      LEFT JOIN jsonb_to_recordset(p->'legs') AS l(leg int, debit bigint, credit bigint)
        ON l.leg = (mv->>'leg')::int
     WHERE (mv->>'wallet')::bigint IS DISTINCT FROM
           CASE WHEN (mv->>'amount')::bigint < 0 THEN l.debit ELSE l.credit END
  ) THEN
    RAISE EXCEPTION 'lot movements do not match the transfers' USING ERRCODE = 'MG422';
  END IF;

  FOR m IN SELECT * FROM jsonb_to_recordset(coalesce(p->'moves', '[]'::jsonb))
      AS x(leg int, lot bigint, wallet bigint, amount bigint, kind text, programme bigint,
           expires_on date, tags text[], districts text[], origin bigint)
  LOOP
    IF m.lot IS NULL THEN
      INSERT INTO ledger_lot (currency_id, wallet_account_id, kind, programme_id, amount_issued,
                              amount_remaining, expires_on, allowed_tags, allowed_districts,
                              origin_lot_id)
      VALUES (p_currency, m.wallet, m.kind, m.programme, m.amount, m.amount, m.expires_on,
              m.tags, m.districts, m.origin)
      RETURNING id INTO v_lot;
      v_lots := v_lots || to_jsonb(v_lot);
    ELSE
      UPDATE ledger_lot SET amount_remaining = amount_remaining + m.amount
       WHERE currency_id = p_currency AND id = m.lot AND wallet_account_id = m.wallet;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'lot % is not in wallet %', m.lot, m.wallet USING ERRCODE = 'MG422';
      END IF;
      v_lot := m.lot;
    END IF;
    INSERT INTO ledger_lot_movement (currency_id, transfer_id, lot_id, amount)
    VALUES (p_currency, (v_transfers->>(m.leg::text))::bigint, v_lot, m.amount);
  END LOOP;

  WITH d AS (
    SELECT x.account_id, sum(x.amount) AS amount, min(a.kind) AS kind
      FROM (SELECT (l->>'credit')::bigint AS account_id, (l->>'amount')::bigint AS amount
              FROM jsonb_array_elements(p->'legs') l
            UNION ALL
            SELECT (l->>'debit')::bigint, -(l->>'amount')::bigint
              FROM jsonb_array_elements(p->'legs') l) x
      JOIN ledger_account a ON a.currency_id = p_currency AND a.id = x.account_id
     GROUP BY x.account_id
    HAVING sum(x.amount) <> 0
  ), wallets AS (
    UPDATE ledger_account a SET balance = a.balance + d.amount
      FROM d
     WHERE a.currency_id = p_currency AND a.id = d.account_id AND d.kind = 'wallet'
  ), plain AS (
    INSERT INTO ledger_balance_delta (currency_id, account_id, amount)
    SELECT p_currency, account_id, amount FROM d WHERE kind <> 'wallet'
  )
  SELECT array_agg(account_id) FILTER (WHERE kind = 'merchant' AND amount < 0)
    INTO v_debited FROM d;

  IF v_debited IS NOT NULL THEN
    SELECT min(a.balance + coalesce((SELECT sum(b.amount) FROM ledger_balance_delta b
                                      WHERE b.currency_id = p_currency
                                        AND b.account_id = a.id), 0))
      INTO v_short
      FROM ledger_account a
     WHERE a.currency_id = p_currency AND a.id = ANY(v_debited);
    IF v_short < 0 THEN
      RAISE EXCEPTION 'merchant balance would go below zero' USING ERRCODE = 'MG409';
    END IF;
  END IF;

  IF p ? 'idempotency' THEN
    INSERT INTO ledger_idempotency (currency_id, principal, key, fingerprint, operation_id,
                                    response)
    VALUES (p_currency, p->'idempotency'->>'principal', p->'idempotency'->>'key',
            decode(p->'idempotency'->>'fingerprint', 'hex'), v_op,
            coalesce(p->'idempotency'->'response', '{}'::jsonb)
              || jsonb_build_object('operation_id', v_op, 'transfers', v_transfers,
                                    'lots', v_lots));
  END IF;
  RETURN jsonb_build_object('operation_id', v_op, 'transfers', v_transfers, 'lots', v_lots);
END $$;
"""

FUNCTIONS_V1 = (LEDGER_BEGIN_V1, LEDGER_POST_V1)

# V2: wallets never have balance deltas (their balance is kept under their lock), so
# ledger_begin no longer sums the delta table for them; that sum could turn into a scan
# of the growing delta table while the roll-up lags behind (bench --profile).
_DELTAS_FOR_ALL = (
    "           a.balance + coalesce((SELECT sum(d.amount) FROM ledger_balance_delta d\n"
    "                                  WHERE d.currency_id = p_currency"
    " AND d.account_id = a.id), 0)"
)
_DELTAS_NOT_FOR_WALLETS = """           a.balance + CASE WHEN a.kind = 'wallet' THEN 0 ELSE
             coalesce((SELECT sum(d.amount) FROM ledger_balance_delta d
                        WHERE d.currency_id = p_currency AND d.account_id = a.id), 0) END"""
assert _DELTAS_FOR_ALL in LEDGER_BEGIN_V1
LEDGER_BEGIN_V2 = LEDGER_BEGIN_V1.replace(
    "CREATE FUNCTION ledger_begin(", "CREATE OR REPLACE FUNCTION ledger_begin("
).replace(_DELTAS_FOR_ALL, _DELTAS_NOT_FOR_WALLETS)
