/**
 * Name and street stock for synthetic people and places. Common English given and family names
 * with some of the county's communities represented (Punjabi, Nepali, Polish, West African,
 * Romanian), so that name-matching and interpreter flows meet realistic variety.
 */

export const FAMILY_NAMES = [
  'Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Robinson', 'Wright',
  'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson', 'Clarke',
  'Harris', 'Lewis', 'King', 'Baker', 'Turner', 'Hill', 'Cooper', 'Ward', 'Morris', 'Moore',
  'Clark', 'Lee', 'Carter', 'Mitchell', 'Parker', 'Allen', 'Edwards', 'Martin', 'Collins', 'Bell',
  'Hughes', 'Marsh', 'Pearce', 'Fuller', 'Knight', 'Tanner', 'Ashdown', 'Godden', 'Kemp', 'Packham',
  'Sandhu', 'Gill', 'Bains', 'Dhillon', 'Gurung', 'Rai', 'Limbu', 'Kowalski', 'Nowak', 'Wojcik',
  'Okafor', 'Adeyemi', 'Mensah', 'Popescu', 'Ionescu', 'Murphy', 'Kelly', 'Khan', 'Ahmed', 'Patel',
];

export const GIVEN_FEMALE = [
  'Olivia', 'Amelia', 'Isla', 'Ava', 'Mia', 'Grace', 'Lily', 'Emily', 'Sophie', 'Chloe',
  'Jessica', 'Charlotte', 'Hannah', 'Lucy', 'Ellie', 'Sarah', 'Emma', 'Rebecca', 'Laura', 'Claire',
  'Helen', 'Karen', 'Susan', 'Julie', 'Tracey', 'Joanne', 'Nicola', 'Lisa', 'Margaret', 'Patricia',
  'Jean', 'Maureen', 'Joan', 'Doris', 'Dorothy', 'Brenda', 'Pauline', 'Sandra', 'Gurpreet', 'Harpreet',
  'Sita', 'Anita', 'Agnieszka', 'Zofia', 'Adaeze', 'Ama', 'Elena', 'Ioana', 'Aisha', 'Priya',
];

export const GIVEN_MALE = [
  'Oliver', 'George', 'Noah', 'Arthur', 'Harry', 'Leo', 'Jack', 'Charlie', 'Oscar', 'Alfie',
  'Thomas', 'James', 'Daniel', 'Matthew', 'Luke', 'Ryan', 'Adam', 'Ben', 'Sam', 'Tom',
  'David', 'Paul', 'Mark', 'Andrew', 'Richard', 'Stephen', 'Peter', 'Michael', 'Gary', 'Darren',
  'John', 'Robert', 'William', 'Kenneth', 'Brian', 'Derek', 'Colin', 'Roy', 'Gurdeep', 'Jaspal',
  'Ram', 'Bishnu', 'Piotr', 'Tomasz', 'Chinedu', 'Kwame', 'Andrei', 'Mihai', 'Imran', 'Raj',
];

export const STREETS = [
  'High Street', 'Church Road', 'Station Road', 'London Road', 'Victoria Road', 'Park Road', 'Mill Lane',
  'Queens Road', 'Kings Road', 'The Street', 'Canterbury Road', 'Maidstone Road', 'Oak Avenue',
  'Orchard Way', 'Hop Garden Close', 'Oast Court', 'Cherry Tree Road', 'Marsh Lane', 'Sea View Road',
  'Harbour Street', 'Chalk Hill', 'Downs Road', 'Meadow Close', 'Forge Lane', 'School Lane',
  'Manor Road', 'Priory Road', 'Cliff Road', 'Beech Grove', 'Elm Drive',
];

export const PRACTICE_WORDS = ['Medical Centre', 'Surgery', 'Health Centre', 'Medical Practice', 'Family Practice'];

export const CARE_HOME_WORDS = [
  'Oaklands', 'The Limes', 'Rosewood', 'Hillside', 'Seaview', 'Orchard House', 'The Beeches', 'Meadowbank',
  'Woodlands', 'Greenacres', 'Cedar Lodge', 'Ashgrove', 'Fairhaven', 'Highfield', 'Willow Court',
];
