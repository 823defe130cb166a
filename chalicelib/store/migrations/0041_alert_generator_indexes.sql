-- 0041_alert_generator_indexes: what the hourly alert generator's set-based query needs
-- (chalicelib/store/alerts_generation.py).
--
-- STUDENT_DROP looks up each enrolled student's latest attempt in the course's subject: newest
-- first per student, stopping at the first attempt of the subject. Without this index every run
-- would read and sort all of a student's attempts (or hash the whole attempts table).
CREATE INDEX attempts_student_id_created_at_idx ON attempts (student_id, created_at DESC);
