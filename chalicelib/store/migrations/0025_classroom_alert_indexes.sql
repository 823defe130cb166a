-- Indexes for the classroom, alert and parent routes (api.md §4.7, §4.12, §4.13).
-- course_teachers' primary key leads with course_id; "the courses of a teacher" (GET /classrooms/mine,
-- every teacher ownership check) needs teacher_id first.
CREATE INDEX IF NOT EXISTS course_teachers_teacher_id_idx ON course_teachers (teacher_id);
-- GET /alerts reads the open alerts of one course, newest first.
CREATE INDEX IF NOT EXISTS teacher_alerts_course_id_open_idx
    ON teacher_alerts (course_id, created_at DESC) WHERE resolved_at IS NULL;
-- GET /parent/children/:studentId reads the open alerts about one child, newest first.
CREATE INDEX IF NOT EXISTS teacher_alerts_student_id_open_idx
    ON teacher_alerts (student_id, created_at DESC) WHERE resolved_at IS NULL;
