-- 0040: a facilitator can mark a board post "answered"; the board shows it. Not an identity:
-- it records that the room's question was taken up, not by whom.
ALTER TABLE contributions ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
