DROP TABLE dep_assignments;
DROP TABLE dep_names;
