DROP TABLE hosts;
DROP TABLE apple_manual_enrollments;
