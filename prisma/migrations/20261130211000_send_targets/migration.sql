-- send's recipients. The send statement is one long statement that a server
-- prepares once per connection and runs with the plan PostgreSQL keeps for it:
-- planning it for every send cost more than running it (0.33 ms against 0.3).
-- Its recipients are the one part whose best plan depends on the values (a
-- small channel by its index, beside a channel of the whole account), so they
-- are found here, by a query planned for the channels of each call.
-- ALL (channels NULL): every recipient of the account. In id order: the
-- deliveries' index grows at its right edge, not at random pages.
CREATE FUNCTION herald_send_targets(account uuid, channels uuid[]) RETURNS TABLE (id uuid)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF channels IS NULL THEN
    RETURN QUERY EXECUTE 'SELECT id FROM "Recipient" WHERE "accountId" = $1 ORDER BY id' USING account;
  ELSE
    RETURN QUERY EXECUTE 'SELECT DISTINCT "recipientId" FROM "RecipientChannel" WHERE "channelId" = ANY($1) ORDER BY 1' USING channels;
  END IF;
END
$$;
