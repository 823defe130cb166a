-- 0012_attempt_history_indexes: "most recent attempts" reads (course view 50, heatmap 100 per
-- student, recommendation exclusions) walk an index in order instead of sorting every attempt.
CREATE INDEX attempts_student_id_created_at_idx ON attempts (student_id, created_at DESC);
CREATE INDEX attempts_course_id_student_id_created_at_idx ON attempts (course_id, student_id, created_at DESC);
