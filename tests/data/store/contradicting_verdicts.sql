-- Sessions played for real (by trainee), then their verdict columns made to contradict their saved
-- score, as older versions or a hand edit could leave them; the file is then marked schema 5, so
-- opening it runs the migration to schema 6, which repairs them from the saved score.
-- A failed session (the customer hung up) whose columns say PASS with a perfect total:
UPDATE sessions SET passed = 1, total = 100.0 WHERE trainee = 'Forged pass';
-- A passed session whose column says FAIL:
UPDATE sessions SET passed = 0 WHERE trainee = 'Hidden pass';
-- Totals out of range, and one that is not a finite number:
UPDATE sessions SET total = -5 WHERE trainee = 'Negative';
UPDATE sessions SET total = 1e308 WHERE trainee = 'Huge';
UPDATE sessions SET total = 9e999 WHERE trainee = 'Infinite';
-- A verdict that is not a verdict:
UPDATE sessions SET passed = 'yes' WHERE trainee = 'Word';
-- A saved score that does not add up (a total beyond 100) under columns that say PASS: no score at
-- all, so the columns are emptied and the session is scored again from its turns
UPDATE sessions SET passed = 1, total = 100.0, score_json = replace(score_json, '"total": ', '"total": 1e308, "was": ') WHERE trainee = 'Bad score';
PRAGMA user_version = 5;
