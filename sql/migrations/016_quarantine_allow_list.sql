-- Migration 016: quarantine rows kept before the allow-list redaction (ingest/redact.py) could hold prompt text,
-- e-mails, API keys or IP addresses (a deny-list cut, or whole lines that were not UTF-8).  Their raw text is
-- replaced by its size; the rows, their reasons and line numbers stay, so the accounting is unchanged.
UPDATE quarantine
SET raw = json_object('text', 'not kept', 'bytes', octet_length(encode(coalesce(raw, ''))),
                      'note', 'kept before the allow-list redaction; removed by migration 016')::VARCHAR
WHERE source IN ('litellm', 'litellm-spendlogs', 'bedrock', 'mapped');
