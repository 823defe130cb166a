-- Registration refuses an e-mail that any linked account already uses, whatever its case
-- (chalicelib/store/auth_accounts.py); this index keeps that lookup off a sequential scan.
CREATE INDEX users_lower_email_idx ON users (lower(email));
