-- The triggers' statements find rows by index, whatever the tables' size when
-- a connection first ran them. PL/pgSQL plans a statement without parameters
-- once per connection and keeps that plan for the connection's life: a pool
-- connection that first inserted deliveries while "Message" was a few rows
-- long kept a sequential scan of "Message" for every send after, a cost that
-- grew with every message ever sent (0.27 ms a send at 4,000 messages,
-- measured with pg_stat_statements). With sequential scans off inside these
-- functions, each statement is planned on its index (the tables' primary keys
-- and "Delivery"'s recipient index), which is as cheap on a small table.
ALTER FUNCTION herald_delivery_references() SET enable_seqscan = off;
ALTER FUNCTION herald_delivery_message_seq() SET enable_seqscan = off;
ALTER FUNCTION herald_message_deleted() SET enable_seqscan = off;
ALTER FUNCTION herald_recipient_deleted() SET enable_seqscan = off;
ALTER FUNCTION herald_api_key_deleted() SET enable_seqscan = off;

