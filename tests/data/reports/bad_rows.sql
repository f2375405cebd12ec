-- Rows that once took a whole report down, written over sessions played for real (by trainee).
-- A protocol that is not installed, and no saved score to fall back on:
UPDATE sessions SET protocol = 'made_up', score_json = NULL, total = NULL, passed = NULL, missed = NULL, mistakes = NULL WHERE trainee = 'Unknown';
-- An anger that is not a finite number:
UPDATE sessions SET anger_start = 9e999 WHERE trainee = 'Infinite';
UPDATE turns SET anger_after = 9e999 WHERE session_id IN (SELECT id FROM sessions WHERE trainee = 'Infinite') AND idx = 1;
-- A saved score whose components are not numbers (NaN): read as unsaved, scored again from the turns
UPDATE sessions SET score_json = replace(score_json, '"coverage": ', '"coverage": NaN, "was": ') WHERE trainee = 'NaN parts';
-- A saved score with a step performed at no turn: read as unsaved, scored again
UPDATE sessions SET score_json = replace(score_json, '"performed": false, "turn": null', '"performed": true, "turn": null') WHERE trainee = 'No turn';
-- A scenario id that is matplotlib mathtext
UPDATE sessions SET scenario = '$\undefinedmacro$', title = '' WHERE trainee = 'Mathtext';
