DROP TABLE nano_cert_auth_associations;
DROP TABLE nano_push_certs;
DROP TABLE nano_enrollment_queue;
DROP TABLE nano_command_results;
DROP TABLE nano_commands;
DROP TABLE nano_enrollments;
DROP TABLE nano_users;
DROP TABLE nano_devices;
