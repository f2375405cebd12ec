-- A session store as Defuse wrote it at schema version 1 (PRAGMA user_version=1):
-- one finished session and one unfinished. tests/test_store_migration.py migrates it.
BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS sessions (
    id            TEXT PRIMARY KEY,
    trainee       TEXT NOT NULL,
    scenario      TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    protocol      TEXT NOT NULL,
    seed          INTEGER NOT NULL DEFAULT 0,
    mode          TEXT NOT NULL DEFAULT '',
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    outcome       TEXT,
    complete      INTEGER NOT NULL DEFAULT 0,
    anger_start   REAL NOT NULL,
    anger_end     REAL,
    total         REAL,
    passed        INTEGER,
    score_json    TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    session_id     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    node           TEXT NOT NULL,
    line           TEXT NOT NULL,
    text           TEXT NOT NULL,
    choice         TEXT NOT NULL,
    said           TEXT NOT NULL,
    actions        TEXT NOT NULL,
    interrupted    INTEGER NOT NULL,
    anger_before   REAL NOT NULL,
    anger_after    REAL NOT NULL,
    elapsed        REAL,
    restarted_vent INTEGER NOT NULL DEFAULT 0,
    threat         INTEGER NOT NULL DEFAULT 0,
    abuse          INTEGER NOT NULL DEFAULT 0,
    goto           TEXT NOT NULL DEFAULT '',
    at             TEXT NOT NULL,
    PRIMARY KEY (session_id, idx)
);
CREATE INDEX IF NOT EXISTS sessions_by_trainee ON sessions(trainee, started_at);
CREATE INDEX IF NOT EXISTS sessions_by_scenario ON sessions(scenario, started_at);
INSERT INTO sessions (id, trainee, scenario, revision, title, protocol, seed, mode, started_at, ended_at, outcome, complete, anger_start, anger_end, total, passed, score_json) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 'Amira', 'billing_double_charge', 1, 'Charged twice', 'ten_step', 0, '', '2026-02-10T14:00:00Z', '2026-02-10T14:06:30Z', 'resolved', 1, 70.0, 0.0, 100.0, 1, '{"protocol": "ten_step", "total": 100.0, "passed": true, "pass_mark": 70.0, "components": {"coverage": 1.0, "order": 1.0, "conduct": 1.0, "outcome": 1.0}, "steps": [{"id": "stay_calm", "title": "Stay calm and patient", "critical": true, "performed": true, "turn": 1}, {"id": "listen", "title": "Listen actively", "critical": true, "performed": true, "turn": 1}, {"id": "acknowledge_issue", "title": "Acknowledge the issue", "critical": true, "performed": true, "turn": 3}, {"id": "apologize", "title": "Apologise sincerely", "critical": true, "performed": true, "turn": 4}, {"id": "identify_root_cause", "title": "Identify the root cause", "critical": true, "performed": true, "turn": 5}, {"id": "offer_solutions", "title": "Offer solutions", "critical": true, "performed": true, "turn": 6}, {"id": "take_action", "title": "Take action quickly", "critical": true, "performed": true, "turn": 8}, {"id": "follow_up", "title": "Follow up", "critical": true, "performed": true, "turn": 9}, {"id": "document", "title": "Document the interaction", "critical": true, "performed": true, "turn": 10}, {"id": "learn_and_improve", "title": "Learn and improve", "critical": true, "performed": true, "turn": 11}], "feedback": [], "safety_broken": false, "critical_missed": [], "sequence": ["stay_calm", "listen", "acknowledge_issue", "apologize", "identify_root_cause", "offer_solutions", "take_action", "follow_up", "document", "learn_and_improve"]}');
INSERT INTO sessions (id, trainee, scenario, revision, title, protocol, seed, mode, started_at, ended_at, outcome, complete, anger_start, anger_end, total, passed, score_json) VALUES ('dbf91634-c241-42f5-8f0a-c0dbd9052046', 'Ben', 'billing_double_charge', 1, 'Charged twice', 'ten_step', 0, '', '2026-02-10T14:00:00Z', NULL, NULL, 0, 70.0, NULL, NULL, NULL, NULL);
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 1, 'open', 'open.line', 'Finally, a person. I''ve been on hold for twenty minutes. You people took my payment twice this month - twice! Eighty-four pounds, two times, straight out of my account.', 'breathe_listen', '(Sit up, take a slow breath, keep quiet and let her finish.)', '["stay_calm", "listen"]', 0, 70.0, 60.0, NULL, 0, 0, 0, 'vent_2', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 2, 'vent_2', 'vent_2.line', 'And don''t tell me it''s a glitch, because the exact same thing happened in the spring and someone promised me it was fixed. I''ve got rent going out on Friday!', 'keep_listening', '(Keep listening. Let her get it all out.)', '["listen"]', 0, 60.0, 54.0, NULL, 0, 0, 0, 'explained', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 3, 'explained', 'explained.line', 'So? Are you actually going to do something about it, or not?', 'paraphrase', 'Let me check I have this right: the November payment went out twice, it happened in the spring as well, and you need the money back before Friday''s rent. No wonder you''re fed up.', '["verify_understanding", "empathize"]', 0, 54.0, 39.0, NULL, 0, 0, 0, 'acknowledged', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 4, 'acknowledged', 'acknowledged.line', 'Yes. That''s it exactly. Last time nobody even let me finish a sentence.', 'apologize', 'I''m sorry you''ve had to chase this a second time. That shouldn''t have happened.', '["apologize"]', 0, 39.0, 31.0, NULL, 0, 0, 0, 'apologized', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 5, 'apologized', 'apologized.line', 'Well... thank you. Nobody''s said that yet. So what went wrong?', 'ask_cause', 'Let me look. Did anything change on your account lately - a new card, a new way of paying?', '["ask_clarifying"]', 0, 31.0, 27.0, NULL, 0, 0, 0, 'cause', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 6, 'cause', 'cause.line', 'I did switch to paying by direct debit in October. Could that be it?', 'found_it', 'That''s it: the new direct debit and the old card payment both ran. I can refund the duplicate today and cancel the old card payment so it can''t happen again.', '["offer_solution", "explain_next_steps"]', 0, 27.0, 10.0, NULL, 0, 0, 0, 'proposal', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 7, 'proposal', 'proposal.line', 'Today? And it won''t happen again next month?', 'confirm', 'Not once the old payment is cancelled. Shall I go ahead with the refund and the cancellation?', '["get_agreement"]', 0, 10.0, 5.0, NULL, 0, 0, 0, 'doing_it', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 8, 'doing_it', 'doing_it.line', 'Yes. Please. Go ahead.', 'process', '(Process the refund and cancel the old card payment.) Done - your refund reference is R-5521.', '["take_action", "explain_next_steps"]', 0, 5.0, 0.0, NULL, 0, 0, 0, 'follow_offer', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 9, 'follow_offer', 'follow_offer.line', 'Okay. Good. Is that everything, then?', 'follow_up', 'It is. I''ll ring you on Thursday to make sure the money is back before your rent goes out.', '["follow_up", "conclude"]', 0, 0.0, 0.0, NULL, 0, 0, 0, 'wrap_up', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 10, 'wrap_up', 'wrap_up.line', 'The call has ended. Dana''s refund is on its way. The next caller is already waiting.', 'log_it', 'Note the double payment, the direct-debit cause and refund R-5521 on her account.', '["document"]', 0, 0.0, 0.0, NULL, 0, 0, 0, 'reflect', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('d9941468-0b28-4a81-b4a6-ac05d5af23f7', 11, 'reflect', 'reflect.line', 'Her account is up to date. You have a minute before the queue pulls you back in.', 'think_back', 'Think back: what calmed her down, and what would you do sooner next time?', '["reflect"]', 0, 0.0, 0.0, NULL, 0, 0, 0, 'done', '2026-02-10T14:01:00Z');
INSERT INTO turns (session_id, idx, node, line, text, choice, said, actions, interrupted, anger_before, anger_after, elapsed, restarted_vent, threat, abuse, goto, at) VALUES ('dbf91634-c241-42f5-8f0a-c0dbd9052046', 1, 'open', 'open.line', 'Finally, a person. I''ve been on hold for twenty minutes. You people took my payment twice this month - twice! Eighty-four pounds, two times, straight out of my account.', 'breathe_listen', '(Sit up, take a slow breath, keep quiet and let her finish.)', '["stay_calm", "listen"]', 0, 70.0, 60.0, NULL, 0, 0, 0, 'vent_2', '2026-02-10T14:01:00Z');
PRAGMA user_version=1;
COMMIT;
